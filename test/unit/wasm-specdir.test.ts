import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {locateSpecSuite} from '../../src/wasm/specdir.js'

describe('locateSpecSuite', () => {
  const top = mkdtempSync(path.join(os.tmpdir(), 'kos-specdir-'))
  const clone = path.join(top, 'clone')
  mkdirSync(clone)

  it('without the setting and without ../shared: no directory, and the reason names both', () => {
    expect(locateSpecSuite(clone, '1.0', {})).toEqual({
      dir: null,
      reason: 'WebAssembly 1.0 spec suite not found: set KOS_WASM_SPEC to a checkout of WebAssembly/testsuite at c70c3c8 or provide ../shared/wasm-spec',
    })
    expect(locateSpecSuite(clone, '2.0', {}).dir).toBeNull()
  })

  it('finds ../shared/wasm-spec beside the clone when it holds .wast files', () => {
    mkdirSync(path.join(top, 'shared', 'wasm-spec'), {recursive: true})
    expect(locateSpecSuite(clone, '1.0', {}).dir).toBeNull()
    writeFileSync(path.join(top, 'shared', 'wasm-spec', 'nop.wast'), '(module)')
    expect(locateSpecSuite(clone, '1.0', {})).toEqual({dir: path.join(top, 'shared', 'wasm-spec'), from: '../shared/wasm-spec'})
  })

  it('the setting wins, relative to the clone; a setting that points at no suite is named', () => {
    mkdirSync(path.join(clone, 'ts'))
    writeFileSync(path.join(clone, 'ts', 'i32.wast'), '(module)')
    expect(locateSpecSuite(clone, '1.0', {KOS_WASM_SPEC: 'ts'})).toEqual({dir: path.join(clone, 'ts'), from: 'KOS_WASM_SPEC'})
    expect(locateSpecSuite(clone, '2.0', {KOS_WASM_SPEC_2: 'nowhere'})).toEqual({dir: null, reason: 'KOS_WASM_SPEC_2=nowhere: no .wast files there'})
  })
})
