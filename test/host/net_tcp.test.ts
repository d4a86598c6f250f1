// The TCP engine on the host: tools/net/tcp_host_test.c runs two endpoints
// over an in-memory link with loss, delay jitter, duplication and corruption,
// on a fake clock.
import {describe, expect, it} from 'vitest'
import {runNetHostDriver} from '../helpers/hostdriver.js'

describe('TCP engine on the host', () => {
  it('passes every case: handshake options, bulk under faults, half/simultaneous close, RFC 5961, SYN flood', () => {
    const out = runNetHostDriver('tools/net/tcp_host_test.c')
    // The faults case reports what the link did to the transfer.
    expect(out).toMatch(/# A: retransmits [1-9]\d* fast [1-9]/)
  }, 180_000)
})
