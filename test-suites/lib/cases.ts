// Case-makers the suites share. Each fills in what one kind of case has in
// common (the machine profile, the privileges it needs, its usual timeout, the
// command line a program or in-kernel suite is started with), so a suite file
// states only what its cases prove. The loader (src/suites/load.ts) reads
// test-suites/*.ts only, so nothing here is a suite; `kos report --check`
// covers this folder too (REPORT_INPUTS in src/report/progress/freshness.ts).
import type {CaseDef, PeerSpec} from '../../src/suites/types.js'

/** A guest on the case's TAP network (198.51.100.0/24, the host side is .1). */
export const TAP_NET = 'ip=198.51.100.2 gw=198.51.100.1 mask=255.255.255.0'
/** The in-kernel netecho service (UDP port 7, kos:* requests) on the TAP network. */
export const NETECHO_TAP = `ktest=netecho ${TAP_NET}`
/** p2pd on a bridged LAN (profile lan-tap): guest N is 198.51.100.(0x56+N-1), its key from seed lan-N. */
export const P2P_LAN_APPEND = 'ip=198.51.100.mac gw=198.51.100.1 mask=255.255.255.0 init=/bin/p2pd:port=4001:seed=lan-{guest}:ctl_listen=0.0.0.0'
/** The same with libp2p mDNS on (the guests find each other). */
export const P2P_LAN_MDNS_APPEND = `${P2P_LAN_APPEND}:mdns=1:mdns_interval=2000`

/** What a case states besides the maker's arguments, as CaseDef names it; `log` is short for expect.log. */
export type More = Partial<Omit<CaseDef, 'id' | 'phase' | 'title' | 'components' | 'append' | 'expect'>> & {log?: string[]}

type Head = Pick<CaseDef, 'id' | 'phase' | 'title' | 'components' | 'profile' | 'append' | 'timeoutSec'> & Partial<CaseDef>

/** The maker's fields, then the case's own (they win); syscalls default to none, expect only with log lines. */
function make(head: Head, more: More): CaseDef {
  const {log, ...rest} = more
  return {syscalls: [], ...head, ...rest, ...(log ? {expect: {log}} : {})}
}

/** A case on the plain machine (profile base, no NIC); `append` is the kernel command line, which says what runs. */
export function baseCase(phase: number, id: string, title: string, components: string[], append: string, more: More = {}): CaseDef {
  return make({id, phase, title, components, profile: 'base', append, timeoutSec: 120}, more)
}

/** An in-kernel KTAP suite (kernel/test/): case ktest_SUITE, booted with ktest=SUITE. */
export function ktestCase(phase: number, suite: string, title: string, components: string[], more: More = {}): CaseDef {
  return baseCase(phase, `ktest_${suite}`, title, components, `ktest=${suite}`, more)
}

/**
 * One user program run as init (/bin/PROG): its KTAP result comes first, the
 * kernel's no_page_leak after it, then any further `log` lines.
 */
export function programCase(phase: number, id: string, prog: string, title: string, components: string[], more: More = {}): CaseDef {
  return baseCase(phase, id, title, components, `init=/bin/${prog}`,
    {timeoutSec: 180, ...more, log: [`ok 1 ${prog}`, 'ok 2 no_page_leak', ...(more.log ?? [])]})
}

/** QEMU user networking (profile e1000-user, hostfwd to the guest): no privileges; `peer` talks to the guest from the host. */
export function userNetCase(phase: number, id: string, title: string, components: string[], append: string, peer: PeerSpec, more: More = {}): CaseDef {
  return make({id, phase, title, components, profile: 'e1000-user', append, timeoutSec: 600, peer}, more)
}

/** A TAP device in the case's own network namespace (profile e1000-tap): needs CAP_NET_ADMIN; `peer` runs in the namespace. */
export function tapCase(phase: number, id: string, title: string, components: string[], append: string, peer: PeerSpec, more: More = {}): CaseDef {
  return make({id, phase, title, components, profile: 'e1000-tap', append, timeoutSec: 600, needsNetAdmin: true, peer}, more)
}

/** Guests on the LAN hub on 127.0.0.1 (profile lan-2, src/netlab/hub.ts): no privileges; two guests unless `guests` says otherwise. */
export function hubLanCase(phase: number, id: string, title: string, components: string[], append: string, peer: PeerSpec, more: More = {}): CaseDef {
  return make({id, phase, title, components, profile: 'lan-2', guests: 2, append, timeoutSec: 600, peer}, more)
}

/**
 * `guests` p2pd guests on a bridge in the case's namespace (profile lan-tap,
 * CAP_NET_ADMIN), driven by the p2p-lan peer (src/netlab/p2plan.ts) with `options`.
 */
export function p2pLanCase(
  id: string, title: string, components: string[], guests: number, append: string, options: Record<string, unknown>, more: More = {},
): CaseDef {
  return make({id, phase: 4, title, components, profile: 'lan-tap', guests, append, timeoutSec: 1200, needsNetAdmin: true, peer: {name: 'p2p-lan', options}}, more)
}
