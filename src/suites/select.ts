// Choosing which cases run: phases, ids, a pattern, a shard. Pure and deterministic.
import type {CaseDef} from './types.js'

export class SelectionError extends Error {}

export interface Selection {
  phases?: number[]
  all?: boolean
  caseIds?: string[]
  grep?: string
  /** "i/n", 1-based: this machine runs the i-th of n shards. */
  shard?: string
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return prev[b.length]
}

export function closeIds(id: string, ids: readonly string[], max = 5): string[] {
  const want = id.toLowerCase()
  return ids
    .map((candidate) => {
      const c = candidate.toLowerCase()
      const d = c.includes(want) || want.includes(c) ? 0.5 : editDistance(want, c)
      return {candidate, d}
    })
    .filter((x) => x.d <= Math.max(2, Math.floor(want.length / 3)))
    .sort((a, b) => a.d - b.d || a.candidate.localeCompare(b.candidate))
    .slice(0, max)
    .map((x) => x.candidate)
}

export function parseShard(shard: string): {index: number; count: number} {
  const m = /^(\d+)\/(\d+)$/.exec(shard)
  if (!m) throw new SelectionError(`--shard must look like i/n (e.g. 1/4), got "${shard}"`)
  const index = Number(m[1])
  const count = Number(m[2])
  if (count < 1 || index < 1 || index > count) throw new SelectionError(`--shard ${shard}: i must be between 1 and n`)
  return {index, count}
}

export function selectCases<T extends CaseDef>(cases: readonly T[], sel: Selection): T[] {
  const ids = cases.map((c) => c.id)
  for (const id of sel.caseIds ?? []) {
    if (!ids.includes(id)) {
      const close = closeIds(id, ids)
      throw new SelectionError(`unknown case "${id}"${close.length > 0 ? `; did you mean: ${close.join(', ')}` : ''}`)
    }
  }
  let regex: RegExp | undefined
  if (sel.grep !== undefined) {
    try {
      regex = new RegExp(sel.grep, 'i')
    } catch (error) {
      throw new SelectionError(`--grep "${sel.grep}" is not a valid pattern: ${(error as Error).message}`)
    }
  }
  for (const p of sel.phases ?? []) {
    if (!cases.some((c) => c.phase === p)) {
      const have = [...new Set(cases.map((c) => c.phase))].sort((a, b) => a - b)
      throw new SelectionError(`no cases in phase ${p} (phases with cases: ${have.join(', ') || 'none'})`)
    }
  }
  const byIdOrPhase = (sel.phases?.length ?? 0) > 0 || (sel.caseIds?.length ?? 0) > 0
  let chosen = cases.filter((c) => {
    if (sel.all || !byIdOrPhase) return true
    return (sel.phases ?? []).includes(c.phase) || (sel.caseIds ?? []).includes(c.id)
  })
  if (regex) chosen = chosen.filter((c) => regex.test(c.id) || regex.test(c.title))
  // Sort so every shard sees the same order regardless of file order.
  chosen = [...chosen].sort((a, b) => a.phase - b.phase || a.id.localeCompare(b.id))
  if (sel.shard !== undefined) {
    const {index, count} = parseShard(sel.shard)
    chosen = chosen.filter((_, i) => i % count === index - 1)
  }
  return chosen
}
