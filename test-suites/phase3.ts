// Phase 3: networking. The guest side is the in-kernel netecho service and
// pci suite (kernel/net/net_ktest.c); the host side is a peer from
// src/suites/peers/ (hostfwd UDP, a TAP device in the case's own network
// namespace, or a virtual LAN hub on 127.0.0.1).
import type {CaseDef} from '../src/suites/types.js'

const TAP_APPEND = 'ktest=netecho ip=198.51.100.2 gw=198.51.100.1 mask=255.255.255.0'
const LAN_APPEND = 'ktest=netecho ip=10.0.3.mac gw=10.0.3.254 mask=255.255.255.0'
const STACK = ['net-stack', 'ethernet', 'arp', 'ipv4', 'icmp', 'udp']

export const cases: CaseDef[] = [
  {
    id: 'pci_mmio',
    phase: 3,
    title: 'PCI finds the e1000; BAR0 mapped uncached from the BAR; STATUS shows link up; MAC, rings, multicast filter',
    components: ['pci', 'mmio', 'e1000'],
    syscalls: [],
    profile: 'e1000-user',
    append: 'ktest=pci',
    timeoutSec: 120,
    peer: {name: 'user-port'},
    expect: {log: ['pci: 00:03.0 8086:100e class 02.00.00', 'e1000: bar0 0xfebc0000']},
  },
  {
    id: 'udp_user',
    phase: 3,
    title: 'Guest UDP echo answers 1000 datagrams from a host peer via hostfwd, payloads intact; guest client reaches a host server at 10.0.2.2',
    components: ['e1000', 'udp', 'sockets', ...STACK],
    syscalls: [],
    profile: 'e1000-user',
    append: 'ktest=netecho',
    timeoutSec: 600,
    peer: {name: 'udp-echo-user', options: {count: 1000}},
  },
  {
    id: 'ping_tap',
    phase: 3,
    title: 'ping -c 50 -i 0.05 from the case namespace loses nothing; ARP resolved both ways',
    components: ['e1000', 'tap', ...STACK],
    syscalls: [],
    profile: 'e1000-tap',
    append: TAP_APPEND,
    timeoutSec: 600,
    needsNetAdmin: true,
    peer: {name: 'ping-tap', options: {count: 50}},
  },
  {
    id: 'udp_tap',
    phase: 3,
    title: 'UDP echo over TAP intact for every payload size 1..1472; guest client reaches the namespace',
    components: ['e1000', 'tap', 'udp', 'sockets', ...STACK],
    syscalls: [],
    profile: 'e1000-tap',
    append: TAP_APPEND,
    timeoutSec: 900,
    needsNetAdmin: true,
    peer: {name: 'udp-sizes-tap', options: {from: 1, to: 1472}},
  },
  {
    id: 'lan2_udp',
    phase: 3,
    title: 'Two guests on one virtual LAN: each resolves the other by ARP and gets 200 UDP datagrams echoed',
    components: ['e1000', 'lan', 'udp', 'sockets', ...STACK],
    syscalls: [],
    profile: 'lan-2',
    guests: 2,
    append: LAN_APPEND,
    timeoutSec: 600,
    peer: {name: 'lan-echo', options: {count: 200, size: 1000}},
  },
  {
    id: 'bad_packets',
    phase: 3,
    title: '3400 malformed frames: each dropped and counted by reason, the guest keeps answering ping and UDP',
    components: ['e1000', 'net-robustness', ...STACK],
    syscalls: [],
    profile: 'lan-2',
    guests: 1,
    append: LAN_APPEND,
    timeoutSec: 900,
    peer: {name: 'bad-packets', options: {count: 3400}},
  },
]
