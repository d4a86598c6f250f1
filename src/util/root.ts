// Locating the repository: commands may be run from any sub-directory.
import {existsSync} from 'node:fs'
import path from 'node:path'

/** Walks up from `start` to the directory holding package.json named "kos". */
export function findRepoRoot(start: string = process.cwd()): string {
  let dir = path.resolve(start)
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'toolchain'))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`not inside the kos repository (no package.json + toolchain/ above ${start})`)
    dir = parent
  }
}
