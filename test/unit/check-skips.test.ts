// `kos check` names why a vitest test skipped itself: the reason a test records
// in its meta (SKIP_REASON_META) is read back from vitest's JSON report.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {SKIP_REASON_META, vitestSkipReasons} from '../../src/check/index.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-check-skips-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('vitestSkipReasons', () => {
  it('lists each skipped test that recorded a reason, and only those', () => {
    const file = path.join(dir, 'vitest.json')
    writeFileSync(file, JSON.stringify({testResults: [{
      name: path.join(dir, 'test/host/wasm-spec.test.ts'),
      assertionResults: [
        {status: 'skipped', fullName: 'spec passes', meta: {[SKIP_REASON_META]: 'suite not found: set KOS_WASM_SPEC'}},
        {status: 'skipped', fullName: 'skipped without a reason', meta: {}},
        {status: 'passed', fullName: 'ran', meta: {[SKIP_REASON_META]: 'not this one: it ran'}},
        {status: 'pending', fullName: 'table', meta: {[SKIP_REASON_META]: 'no suite'}},
      ],
    }]}))
    expect(vitestSkipReasons(file, dir)).toEqual([
      'test/host/wasm-spec.test.ts: spec passes: suite not found: set KOS_WASM_SPEC',
      'test/host/wasm-spec.test.ts: table: no suite',
    ])
  })

  it('is empty when vitest wrote no report', () => {
    expect(vitestSkipReasons(path.join(dir, 'missing.json'), dir)).toEqual([])
  })
})
