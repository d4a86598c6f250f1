// The KTAP result tree produced by parseKtap (src/ktap/parse.ts).

export type KtapDirective = 'SKIP' | 'TODO' | 'XFAIL' | 'TIMEOUT' | 'ERROR'

export interface KtapNode {
  /** Test name ("" for the root document). */
  name: string
  /** Test number within its parent (0 for the root). */
  number: number
  /** ok / not ok; null when no result line was seen (cut off). */
  ok: boolean | null
  directive?: KtapDirective
  /** Text after the directive, e.g. the skip reason. */
  directiveReason?: string
  /** KTAP version seen for this (sub)test's own block, if any. */
  version?: number
  /** Plan count (1..N), null when no plan line was seen. */
  plan: number | null
  /** "# ..." diagnostic lines belonging to this test. */
  diagnostics: string[]
  /** Non-KTAP lines seen while this test was running. */
  log: string[]
  subtests: KtapNode[]
  /** Problems found while parsing this block: missing results, plan mismatch, bad numbering, truncation. */
  errors: string[]
}

export interface KtapDocument {
  /** The root node; its subtests are the top-level tests. */
  root: KtapNode
  /** True when the output ended before every planned result was printed. */
  truncated: boolean
  /** True when no "KTAP version" / "TAP version" line was found at all. */
  missingVersion: boolean
}
