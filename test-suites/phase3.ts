// Phase 3: networking. The guest side is the in-kernel netecho service and
// pci suite (kernel/test/test_net.c); the host side is a peer from
// src/netlab/ (hostfwd UDP, a TAP device in the case's own network
// namespace, or a virtual LAN hub on 127.0.0.1).
import type {CaseDef} from '../src/suites/types.js'
import {baseCase, hubLanCase, ktestCase, NETECHO_TAP, TAP_NET, tapCase, userNetCase} from './lib/cases.js'

const LAN_APPEND = 'ktest=netecho ip=10.0.3.mac gw=10.0.3.254 mask=255.255.255.0'
/** The guest's httpd (user/httpd.c) on the TAP network, for curl and the flood. */
const HTTPD_TAP = `init=/bin/httpd ${TAP_NET}`
/** The guest's tcp_stream client against the tcp-stream-tap server: 16 MiB each way. */
const TCP_STREAM_TAP = `init=/bin/tcp_stream:198.51.100.1:5201:16777216 ${TAP_NET}`
// icmp is not in it: a case declares icmp only when it runs ICMP code (the
// coverage run found none in the UDP and TCP cases that once listed it here).
const STACK = ['net-stack', 'ethernet', 'arp', 'ipv4', 'udp']

/** A TAP case whose verdict is the link-check peer's (src/netlab/linkchecks.ts) check. */
const linkCheckCase = (id: string, title: string, components: string[], check: string, append = NETECHO_TAP): CaseDef =>
  tapCase(3, id, title, components, append, {name: 'link-check', options: {check}})

export const cases: CaseDef[] = [
  ktestCase(3, 'random', 'kernel random source: ChaCha20 block function against the RFC 8439 vector, draws differ and look uniform',
    ['random'], {log: ['random: seeded from']}),
  baseCase(3, 'getrandom', 'getrandom(37): full lengths, draws differ, 8 KiB filled, -EFAULT for null and kernel pointers, -EINVAL for unknown flags; seed= makes the source replayable',
    ['random', 'syscalls'], 'init=/bin/random_test seed=kos-replay-1',
    {syscalls: ['SYS_GETRANDOM'], log: ['random: seeded from seed= (replayable)', 'ok 1 random_test']}),
  userNetCase(3, 'pci_mmio', 'PCI finds the e1000; BAR0 mapped uncached from the BAR; STATUS shows link up; MAC, rings, multicast filter',
    ['pci', 'mmio', 'e1000'], 'ktest=pci', {name: 'user-port'},
    {timeoutSec: 120, log: ['pci: 00:03.0 8086:100e class 02.00.00', 'e1000: bar0 0xfebc0000']}),
  userNetCase(3, 'udp_user', 'User-space UDP echo server (socket syscalls) answers 1000 datagrams from a host peer via hostfwd, payloads intact; a connected client socket reaches a host server at 10.0.2.2',
    ['e1000', 'udp', 'sockets', 'socket-syscalls', ...STACK], 'init=/bin/net_echo', {name: 'udp-echo-user', options: {count: 1000}}, {
      syscalls: ['SYS_SOCKET', 'SYS_BIND', 'SYS_CONNECT', 'SYS_SEND', 'SYS_RECV', 'SYS_SENDTO', 'SYS_RECVFROM', 'SYS_CLOSE'],
      log: ['netecho: ready ip 10.0.2.15 port 7 (user space)'],
    }),
  userNetCase(3, 'udp_user_kernel', 'In-kernel UDP echo service answers 1000 datagrams via hostfwd; an in-kernel client reaches a host server at 10.0.2.2',
    ['e1000', 'udp', 'sockets', ...STACK], 'ktest=netecho', {name: 'udp-echo-user', options: {count: 1000}}),
  tapCase(3, 'ping_tap', 'ping -c 50 -i 0.05 from the case namespace loses nothing; ARP resolved both ways',
    ['e1000', 'tap', 'icmp', ...STACK], NETECHO_TAP, {name: 'ping-tap', options: {count: 50}}),
  tapCase(3, 'udp_tap', 'UDP echo over TAP intact for every payload size 1..1472; guest client reaches the namespace',
    ['e1000', 'tap', 'udp', 'sockets', ...STACK], NETECHO_TAP, {name: 'udp-sizes-tap', options: {from: 1, to: 1472}}, {timeoutSec: 900}),
  hubLanCase(3, 'lan2_udp', 'Two guests on one virtual LAN: each resolves the other by ARP and gets 200 UDP datagrams echoed',
    ['e1000', 'lan', 'udp', 'sockets', ...STACK], LAN_APPEND, {name: 'lan-echo', options: {count: 200, size: 1000}}),
  hubLanCase(3, 'bad_packets', '3400 malformed frames: each dropped and counted by reason, the guest keeps answering ping and UDP',
    ['e1000', 'net-robustness', 'icmp', ...STACK], LAN_APPEND, {name: 'bad-packets', options: {count: 3400}}, {guests: 1, timeoutSec: 900}),
  userNetCase(3, 'socket_errors', 'Socket syscall errors: stream sockets, unbound/unconnected sends, double bind, bad families and addresses, bad pointers, oversize, recv timeout and non-blocking; multicast memberships (IP_ADD/DROP_MEMBERSHIP, IP_MULTICAST_TTL) and their errors, a port shared under SO_REUSEADDR, the source address of a connected datagram socket',
    ['sockets', 'socket-syscalls'], 'init=/bin/net_errors', {name: 'user-port'}, {
      syscalls: ['SYS_SOCKET', 'SYS_BIND', 'SYS_CONNECT', 'SYS_LISTEN', 'SYS_ACCEPT', 'SYS_SEND', 'SYS_RECV', 'SYS_SENDTO', 'SYS_RECVFROM', 'SYS_CLOSE'],
      timeoutSec: 300,
    }),
  userNetCase(3, 'socket_blocking', 'A process blocked in recvfrom sleeps on a wait queue: its parent keeps computing, the idle CPU halts, a looped-back datagram wakes it, a kill ends it at once (wait status 9), a timeout still fires',
    ['sockets', 'socket-syscalls', 'scheduler'], 'init=/bin/net_block', {name: 'user-port'},
    {syscalls: ['SYS_SOCKET', 'SYS_BIND', 'SYS_SENDTO', 'SYS_RECVFROM', 'SYS_FORK', 'SYS_KILL', 'SYS_WAITPID', 'SYS_CLOSE'], timeoutSec: 300}),
  baseCase(3, 'tcp_loopback', 'TCP and UDP over lo (127.0.0.1) in one guest: 1 MiB each way at once with checksums on both ends (poll-driven, non-blocking), half-close both ways, RST on unread close, ECONNREFUSED, EPIPE, ENOTCONN, EISCONN, EADDRINUSE, SO_REUSEADDR in TIME_WAIT, accept on a non-listening socket, EINPROGRESS then SO_ERROR, EFAULT',
    ['tcp', 'loopback', 'sockets', 'poll'], 'init=/bin/tcp_loopback', {
      syscalls: ['SYS_SOCKET', 'SYS_BIND', 'SYS_LISTEN', 'SYS_ACCEPT', 'SYS_CONNECT', 'SYS_SEND', 'SYS_RECV', 'SYS_SENDTO', 'SYS_RECVFROM', 'SYS_SHUTDOWN', 'SYS_SETSOCKOPT', 'SYS_GETSOCKOPT', 'SYS_GETSOCKNAME', 'SYS_GETPEERNAME', 'SYS_POLL', 'SYS_FCNTL', 'SYS_CLOSE'],
      timeoutSec: 300,
      log: ['ok 1 tcp_loopback'],
    }),
  baseCase(3, 'poll', 'poll over pipes, UDP and TCP sockets: readiness, a 200 ms timeout, POLLHUP, POLLNVAL, EFAULT; fcntl O_NONBLOCK gives EAGAIN; a sleeping poller is woken by another process and the idle loop halts meanwhile (no busy wait)',
    ['poll', 'pipes', 'sockets'], 'init=/bin/poll_test',
    {syscalls: ['SYS_POLL', 'SYS_FCNTL', 'SYS_PIPE', 'SYS_FORK', 'SYS_WAITPID'], timeoutSec: 300, log: ['ok 1 poll_test']}),
  tapCase(3, 'tcp_curl_tap', 'curl in the case namespace fetches 0 B, 1 B, 1 MiB, 16 MiB and an initrd file from the guest httpd on one keep-alive connection, SHA-256 of each checked, a 404, HEAD with Content-Length',
    ['tcp', 'sockets', 'tap', 'e1000', ...STACK], HTTPD_TAP, {name: 'curl-tap'},
    {syscalls: ['SYS_SOCKET', 'SYS_BIND', 'SYS_LISTEN', 'SYS_ACCEPT', 'SYS_READ', 'SYS_WRITE', 'SYS_SETSOCKOPT', 'SYS_CLOSE'], timeoutSec: 900}),
  userNetCase(3, 'tcp_curl_user', 'curl on the host fetches 0 B, 1 B, 1 MiB, 16 MiB and an initrd file from the guest httpd over QEMU user networking (hostfwd=tcp on 127.0.0.1), one keep-alive connection, SHA-256 of each checked, a 404, HEAD with Content-Length',
    ['tcp', 'sockets', 'e1000', ...STACK], 'init=/bin/httpd', {name: 'curl-user'},
    {profile: 'e1000-user-http', syscalls: ['SYS_SOCKET', 'SYS_BIND', 'SYS_LISTEN', 'SYS_ACCEPT', 'SYS_READ', 'SYS_WRITE', 'SYS_CLOSE'], timeoutSec: 900}),
  tapCase(3, 'tcp_curl_netem', 'The same curl fetches (1 MiB; 0 B, 1 B) under tc netem on the namespace side of the TAP: 5 % loss, 20 ms +- 10 ms delay (reordering), 1 % duplication, 0.5 % corruption; every body intact and the guest retransmit and out-of-order counters above zero',
    ['tcp', 'sockets', 'tap', 'e1000', ...STACK], HTTPD_TAP,
    {name: 'curl-tap', options: {files: ['/www/0', '/www/1', '/www/1m'], netem: ['loss', '5%', 'delay', '20ms', '10ms', 'duplicate', '1%', 'corrupt', '0.5%']}},
    {syscalls: ['SYS_SOCKET', 'SYS_BIND', 'SYS_LISTEN', 'SYS_ACCEPT', 'SYS_READ', 'SYS_WRITE', 'SYS_CLOSE'], timeoutSec: 900, needsNetem: true}),
  tapCase(3, 'tcp_echo_64', '64 Node net clients connected at once to the guest\'s poll-based echo server (one process, non-blocking sockets), 64 KiB each, every byte echoed',
    ['tcp', 'poll', 'sockets', 'tap', 'e1000', ...STACK], `init=/bin/tcp_echo:7 ${TAP_NET}`, {name: 'tcp-echo-tap', options: {clients: 64, bytes: 65536}},
    {syscalls: ['SYS_SOCKET', 'SYS_LISTEN', 'SYS_ACCEPT', 'SYS_POLL', 'SYS_FCNTL', 'SYS_READ', 'SYS_WRITE', 'SYS_CLOSE'], timeoutSec: 900}),
  tapCase(3, 'tcp_stream_tap', 'The guest connects out to a Node net server in the namespace and moves 16 MiB of random bytes each way at once (one poll loop, half-close when done); SHA-256 of both directions checked by the guest against the server\'s report and by the host against the guest\'s',
    ['tcp', 'poll', 'sockets', 'tap', 'e1000', ...STACK], TCP_STREAM_TAP, {name: 'tcp-stream-tap', options: {port: 5201, bytes: 16 << 20}},
    {syscalls: ['SYS_SOCKET', 'SYS_CONNECT', 'SYS_SEND', 'SYS_RECV', 'SYS_POLL', 'SYS_SHUTDOWN', 'SYS_GETSOCKOPT', 'SYS_CLOSE'], timeoutSec: 900}),
  tapCase(3, 'tcp_stream_tbf', 'The same 16 MiB each way through a token bucket with a short queue (tbf 50 Mbit/s, 15 KB limit) on the namespace side of the TAP: what overflows is lost, the host retransmits, the guest reorders and retransmits; both SHA-256 still equal',
    ['tcp', 'poll', 'sockets', 'tap', 'e1000', ...STACK], TCP_STREAM_TAP,
    {name: 'tcp-stream-tap', options: {port: 5201, bytes: 16 << 20, tbf: ['rate', '50mbit', 'burst', '15kb', 'limit', '15kb']}},
    {syscalls: ['SYS_SOCKET', 'SYS_CONNECT', 'SYS_SEND', 'SYS_RECV', 'SYS_POLL', 'SYS_SHUTDOWN', 'SYS_CLOSE'], timeoutSec: 900}),
  tapCase(3, 'tcp_errors_tap', 'TCP error paths against Node net over TAP: half-close both ways, ECONNREFUSED both ways (the guest answers its closed port with RST), ECONNRESET from a reset mid-stream then EPIPE, SO_REUSEADDR over TIME_WAIT, EFAULT on a live connection losing nothing, ETIMEDOUT from a black hole after the SYN backoff',
    ['tcp', 'sockets', 'tap', 'e1000', ...STACK], `init=/bin/tcp_tap_errors ${TAP_NET} tcp_syn_retries=2`, {name: 'tcp-errors-tap'}, {
      syscalls: ['SYS_SOCKET', 'SYS_BIND', 'SYS_CONNECT', 'SYS_ACCEPT', 'SYS_SEND', 'SYS_RECV', 'SYS_READ', 'SYS_WRITE', 'SYS_SHUTDOWN', 'SYS_SETSOCKOPT', 'SYS_CLOSE'],
      timeoutSec: 900,
      log: ['tcp_tap_errors: done'],
    }),
  tapCase(3, 'tcp_flood_tap', 'A SYN flood (10,000 SYNs from distinct random ports) and 5,000 malformed segments (bad data offsets, bad checksums, lying option lengths, nonsense flags) written raw onto the TAP in batches, a ping answered after each: every SYN a passive open, every bad segment counted under its reason, curl served afterwards, no page leaked',
    ['tcp', 'net-robustness', 'sockets', 'tap', 'e1000', ...STACK], HTTPD_TAP, {name: 'tcp-flood-tap', options: {syns: 10_000, bad: 5000, batch: 750}},
    {syscalls: ['SYS_SOCKET', 'SYS_BIND', 'SYS_LISTEN', 'SYS_ACCEPT', 'SYS_READ', 'SYS_WRITE', 'SYS_CLOSE'], timeoutSec: 900}),
  tapCase(3, 'clock_load_tap', 'The clock under host load: two CPU hogs run beside QEMU from before boot to the end; the guest\'s clock (netecho kos:mem) advances as the host\'s over 10 s within 3 % (plus the round trips), and the hogs kept running',
    ['pic-pit', 'tap'], NETECHO_TAP, {name: 'clock-load', options: {hogs: 2}}),
  linkCheckCase('arp_probe_tap', 'RFC 5227: arping -D from the namespace sees the guest defend 198.51.100.2 against a probe (sender 0.0.0.0); a probe for a free address stays unanswered',
    ['e1000', 'tap', 'arp'], 'arp-probe'),
  linkCheckCase('bad_source_tap', 'RFC 1122 3.2.1.3: UDP echo, ICMP echo, a closed port and an mDNS legacy query from 198.51.100.255 and 240.0.0.1 get no answer and count as ip_bad_src; the same from 198.51.100.1 are answered',
    ['e1000', 'tap', 'ipv4', 'icmp', 'udp', 'mdns'], 'bad-source', `${NETECHO_TAP} mdns=1`),
  linkCheckCase('arp_flood_tap', '128 made-up neighbours that never answer ARP ping the guest (16 at once, then 8 a second): the real host keeps its ARP entry and gets 12/12 pings answered',
    ['e1000', 'tap', 'arp'], 'arp-flood'),
  linkCheckCase('ip_fragments_tap', 'IPv4 fragments over TAP: ping -s 2000 and -s 8000, 8 KiB UDP echo both ways; overlapping fragments drop the datagram; a 20000-byte datagram, past the 16 KiB reassembly limit, is dropped with its 3 fragments past the limit counted; 400 never-completed datagrams leave the free page count and reassembly slots as they were; tshark finds no malformed guest frame',
    ['e1000', 'tap', 'ipv4', 'icmp', 'udp', 'sockets'], 'fragments'),
]
