// Builds the portable network stack for the host (AddressSanitizer/UBSan so
// any out-of-bounds read of a crafted frame fails) and runs the host test
// driver tools/net/net_host_test.c.
import {describe, expect, it} from 'vitest'
import {runNetHostDriver} from '../helpers/hostdriver.js'

describe('network stack on the host', () => {
  it('passes every host test case, including 20000 mutated frames', () => {
    expect(runNetHostDriver('tools/net/net_host_test.c')).toContain('# fuzz passed')
  }, 120_000)
})
