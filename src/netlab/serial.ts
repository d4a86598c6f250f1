// Watching a guest's serial log file for a line (the guest's "ready" signal).
import {existsSync, readFileSync, statSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

/**
 * Resolves with the first match of `pattern` in the file, rejects after
 * timeoutMs or when aborted. A file last written before `notBefore` (epoch
 * ms) is a previous run's log that the runner has not replaced yet: ignored.
 */
export async function waitForSerial(file: string, pattern: RegExp, timeoutMs: number, signal?: AbortSignal, notBefore = 0): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (signal?.aborted) throw new Error('stopped')
    if (existsSync(file)) {
      try {
        if (statSync(file).mtimeMs >= notBefore) {
          const m = readFileSync(file, 'utf8').match(pattern)
          if (m) return m
        }
      } catch { /* replaced while we looked */ }
    }
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern} in ${file} within ${Math.round(timeoutMs / 1000)} s`)
    await sleep(200)
  }
}
