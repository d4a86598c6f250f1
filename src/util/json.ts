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

/**
 * The head every run file shares (results.json, bench.json): a JSON object with a
 * string "date", a "commit" that is a string or null, and an array under listKey.
 */
export function checkRunFileHead(value: unknown, path: string, listKey: string, fail: (path: string, what: string) => never): Record<string, unknown> & {date: string} {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'not a JSON object')
  const v = value as Record<string, unknown>
  if (typeof v.date !== 'string') fail(path, '"date" must be a string')
  if (v.commit !== null && v.commit !== undefined && typeof v.commit !== 'string') fail(path, '"commit" must be a string or null')
  if (!Array.isArray(v[listKey])) fail(path, `"${listKey}" must be an array`)
  return v as Record<string, unknown> & {date: string}
}
