// The component list of the progress report (src/report/components.ts) names
// real files: a pattern that matches nothing would hide a component's code
// from its line count and make a row read "missing" for a typo.
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {COMPONENT_ALIASES, COMPONENTS} from '../../src/report/components.js'
import {filesMatching, listFiles} from '../../src/report/tree.js'

const root = path.resolve(import.meta.dirname, '../..')
const files = listFiles(root)

describe('components', () => {
  it('every path pattern and host-test pattern matches at least one file', () => {
    const empty = COMPONENTS.flatMap((c) => [...c.paths, ...(c.unitTests ?? [])].filter((p) => filesMatching(files, [p]).length === 0).map((p) => `${c.id}: ${p}`))
    expect(empty).toEqual([])
  })

  it('ids are unique and every alias names a component', () => {
    const ids = COMPONENTS.map((c) => c.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const [alias, id] of Object.entries(COMPONENT_ALIASES)) expect(ids, alias).toContain(id)
  })
})
