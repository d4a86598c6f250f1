// Builds the mDNS responder and the DNS message parser/builder with the
// portable stack for the host (AddressSanitizer/UBSan so an out-of-bounds
// read of a crafted message fails) and runs the host test driver
// tools/net/mdns_host_test.c.
import {describe, expect, it} from 'vitest'
import {runNetHostDriver} from '../helpers/hostdriver.js'

describe('mDNS on the host', () => {
  it('parses, builds and answers DNS messages; refuses loops, overruns and bad labels', () => {
    expect(runNetHostDriver('tools/net/mdns_host_test.c', ['kernel/net/mdns.c'])).toContain('# fuzz passed')
  }, 120_000)
})
