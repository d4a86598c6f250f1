// One `kos build` at a time per tree: engineers and `kos test` share build/.
import {mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync} from 'node:fs'
import path from 'node:path'
import {processAlive} from '../util/host.js'

/** Takes build/.kos-build.lock; waits while a live process holds it, takes over a dead holder's lock. */
export async function acquireBuildLock(
  lockFile: string,
  opts: {timeoutMs?: number; pollMs?: number; onWait?: (pid: number) => void} = {},
): Promise<() => void> {
  mkdirSync(path.dirname(lockFile), {recursive: true})
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000)
  let announced = false
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(lockFile, {force: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    let holder = Number.NaN
    try {
      holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10)
    } catch {
      continue // released between open and read
    }
    if (!Number.isInteger(holder) || holder <= 0 || holder === process.pid || !processAlive(holder)) {
      rmSync(lockFile, {force: true})
      continue
    }
    if (Date.now() > deadline) throw new Error(`another kos build (pid ${holder}) holds ${lockFile}`)
    if (!announced) opts.onWait?.(holder)
    announced = true
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250))
  }
}
