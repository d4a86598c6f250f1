// kos fuzz: every libFuzzer harness builds, runs a few seconds on its seed corpus
// and finds nothing on the current code; the summary parser and the target list.
import {describe, expect, it} from 'vitest'
import path from 'node:path'
import {FUZZ_TARGETS, FuzzError, buildFuzzer, parseFuzzerSummary, runFuzzer, selectTargets} from '../../src/fuzz/index.js'

const repoRoot = path.resolve(import.meta.dirname, '../..')
// The seed files kept in tools/fuzz/corpus/NAME: a harness that loses its corpus fails here.
const SEEDS: Record<string, number> = {net_input: 5, tcp: 3, dns: 4, wasm_decode: 12, bitswap: 3, elf_validate: 2}

describe('kos fuzz', () => {
  it('reads libFuzzer\'s closing line and names an unknown harness', () => {
    expect(parseFuzzerSummary('#2\tINITED\nDone 400550 runs in 11 second(s)\n')).toEqual({runs: 400550, seconds: 11})
    expect(parseFuzzerSummary('==1== ERROR: AddressSanitizer: heap-buffer-overflow\n')).toBeNull()
    expect(() => selectTargets(['elf'])).toThrow(FuzzError)
    expect(() => selectTargets(['elf'])).toThrow('unknown fuzz harness "elf" (have: net_input, tcp, dns, wasm_decode, bitswap, elf_validate)')
    expect(selectTargets(undefined).map((t) => t.name)).toEqual(['net_input', 'tcp', 'dns', 'wasm_decode', 'bitswap', 'elf_validate'])
  })

  for (const t of FUZZ_TARGETS) {
    it(`${t.name}: builds with ASan+UBSan, runs 3 s on its ${t.what}, finds nothing`, async () => {
      const bin = await buildFuzzer(repoRoot, t)
      const r = await runFuzzer(repoRoot, t, bin, 3)
      expect(r.ok, r.detail).toBe(true)
      expect(r.runs).toBeGreaterThan(100)
      expect(r.seeds).toBe(SEEDS[t.name])
    }, 600_000)
  }
})
