// Reading the JSON files kos writes (results, benchmarks, vitest reports):
// one way to say that a file is missing, unreadable or not JSON.
import {readFileSync} from 'node:fs'

/**
 * Parses the JSON file at path. Problems end in fail(path, what) with one line:
 * `missing` says what makes the file when it does not exist.
 */
export function readJsonFile(path: string, missing: string, fail: (path: string, what: string) => never): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    fail(path, code === 'ENOENT' ? `no such file (${missing})` : `cannot read (${code ?? String(error)})`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    fail(path, `invalid JSON (${(error as Error).message.split('\n')[0]})`)
  }
}
