// The source tree as the report sees it: which files exist, which language
// they are in and how many non-blank lines they hold.
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

/** Directories that hold generated or third-party files, never project source. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules', 'dist', 'build', 'coverage'])
/** Relative paths skipped too: fixture trees would count as project code. */
const SKIPPED_PATHS = new Set(['test/fixtures'])

export type Language = 'C' | 'assembly' | 'TypeScript'
export const LANGUAGES: Language[] = ['C', 'assembly', 'TypeScript']

export function languageOf(file: string): Language | null {
  if (/\.(c|h)$/.test(file)) return 'C'
  if (/\.(S|s|asm)$/.test(file)) return 'assembly'
  if (/\.(ts|mts|cts)$/.test(file) && !file.endsWith('.d.ts')) return 'TypeScript'
  return null
}

/** Every file below root (posix paths relative to root), sorted. */
export function listFiles(root: string): string[] {
  const out: string[] = []
  const walk = (rel: string): void => {
    let entries
    try {
      entries = readdirSync(rel ? join(root, rel) : root, {withFileTypes: true})
    } catch {
      return
    }
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && !SKIPPED_PATHS.has(path)) walk(path)
      } else if (e.isFile()) {
        out.push(path)
      }
    }
  }
  walk('')
  return out.sort()
}

/** `*` and `?` stay inside one segment, `**` crosses segments; a directory pattern covers its contents. */
export function globToRegExp(pattern: string): RegExp {
  let re = ''
  const p = pattern.replace(/\/+$/, '')
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]
    if (ch === '*' && p[i + 1] === '*') {
      // "**/" may also match nothing at all.
      if (p[i + 2] === '/') {
        re += '(?:.*/)?'
        i += 2
      } else {
        re += '.*'
        i += 1
      }
    } else if (ch === '*') re += '[^/]*'
    else if (ch === '?') re += '[^/]'
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}(?:/.*)?$`)
}

export function filesMatching(files: readonly string[], patterns: readonly string[]): string[] {
  const res = patterns.map(globToRegExp)
  return files.filter((f) => res.some((r) => r.test(f)))
}

export function countNonBlankLines(text: string): number {
  let n = 0
  for (const line of text.split('\n')) if (line.trim() !== '') n++
  return n
}

/** Non-blank line counts, read once per file and cached by the caller's map. */
export class LineCounter {
  private readonly cache = new Map<string, number>()
  constructor(private readonly root: string) {}

  lines(file: string): number {
    let n = this.cache.get(file)
    if (n === undefined) {
      try {
        n = countNonBlankLines(readFileSync(join(this.root, file), 'utf8'))
      } catch {
        n = 0
      }
      this.cache.set(file, n)
    }
    return n
  }
}
