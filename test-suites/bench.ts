// Benchmarks (kos bench): figures are "# metric NAME VALUE UNIT" diagnostics.
import type {CaseDef} from '../src/suites/types.js'
import {baseCase, NETECHO_TAP, P2P_LAN_MDNS_APPEND, p2pLanCase, TAP_NET, tapCase} from './lib/cases.js'

/** One measurement of user/proc_bench.c (proc_bench:WHAT), printed as "# metric" lines. */
const procBench = (id: string, what: string, title: string, components: string[], syscalls: string[], log: string[]): CaseDef =>
  baseCase(2, id, title, components, `init=/bin/proc_bench:${what}`, {syscalls, timeoutSec: 240, log})

export const cases: CaseDef[] = [
  baseCase(1, 'bench_null_syscall', 'null syscall round trip (getpid through the syscall instruction, then through int 0x80), rdtsc cycles per call',
    ['syscalls'], 'init=/bin/syscall_bench',
    {syscalls: ['SYS_GETPID'], timeoutSec: 180, log: ['# metric null_syscall_cycles', '# metric null_syscall_int80_cycles']}),
  procBench('bench_context_switch', 'ctxswitch', 'context switch: two processes ping-pong one byte through two pipes, rdtsc cycles per switch',
    ['scheduler', 'pipes'], ['SYS_PIPE', 'SYS_READ', 'SYS_WRITE', 'SYS_FORK'], ['# metric context_switch_cycles']),
  procBench('bench_fork_exit_wait', 'fork', 'fork + child exit + waitpid, rdtsc cycles per round',
    ['processes'], ['SYS_FORK', 'SYS_EXIT', 'SYS_WAITPID'], ['# metric fork_exit_wait_cycles']),
  procBench('bench_pipe_throughput', 'pipe', 'pipe throughput: 1 MiB to a child in 16 KiB writes, rdtsc cycles per KiB',
    ['pipes'], ['SYS_PIPE', 'SYS_READ', 'SYS_WRITE'], ['# metric pipe_cycles_per_kib']),
  procBench('bench_signal_roundtrip', 'signal', 'signal round trip: kill(self, SIGUSR1) -> handler -> sigreturn through the trampoline, rdtsc cycles per round trip',
    ['signals'], ['SYS_KILL', 'SYS_SIGACTION', 'SYS_SIGRETURN'], ['# metric signal_roundtrip_cycles', 'ok 1 every_signal_handled']),
  // The peer (src/netlab, udp-bench-tap) measures from the case's
  // namespace and hands its figures to the guest with kos:metric, so they
  // land in the serial log as "# metric udp_echo_rtt_median/_p99 N us" and
  // "# metric udp_echo_throughput N kbit/s".
  tapCase(3, 'bench_udp_tap', 'UDP echo RTT (median, p99) and throughput over TAP', ['e1000', 'udp'], NETECHO_TAP,
    {name: 'udp-bench-tap', options: {count: 500}}, {log: ['# metric udp_echo_rtt_median', '# metric udp_echo_rtt_p99', '# metric udp_echo_throughput']}),
  // The peer (src/netlab/tcp.ts, tcp-bench-tap) times the transfers from the
  // case's namespace and hands the figures to the guest's tcp_bench, which
  // prints them as "# metric" lines.
  tapCase(3, 'bench_tcp_tap', 'TCP over TAP: 16 MiB throughput host->guest and guest->host, 1-byte request/response rate on one connection, connections per second',
    ['tcp', 'e1000'], `init=/bin/tcp_bench:5001 ${TAP_NET}`, {name: 'tcp-bench-tap', options: {bytes: 16 << 20, rr: 2000, conns: 200}},
    {log: ['# metric tcp_throughput_host_to_guest', '# metric tcp_throughput_guest_to_host', '# metric tcp_rr_1byte', '# metric tcp_connections']}),
  // Two nodes in one process linked in memory (user/p2p/cmd/p2p_selftest.c):
  // the cycles each side spends in the Noise XX handshake (X25519, Ed25519
  // sign and verify, ChaCha20-Poly1305), and 16 x 64 KiB of echo through
  // Noise and yamux both ways.
  baseCase(4, 'bench_p2p_noise', 'libp2p Noise XX handshake, guest cycles of each role, and 1 MiB echoed through Noise + yamux in memory',
    ['noise', 'yamux'], 'init=/bin/p2p_selftest',
    {timeoutSec: 600, log: ['# metric noise_handshake_initiator_cycles', '# metric noise_handshake_responder_cycles', '# metric echo_memory_1mib_cycles']}),
  // The libp2p-tap peer (src/netlab/libp2p.ts) measures from the case's
  // namespace and hands its figures to the guest's p2pd (p2p metric), which
  // prints them as "# metric" lines; p2pd adds its Noise handshake cycles
  // per role when it quits.
  tapCase(4, 'bench_p2p_tap', 'libp2p over TAP against js-libp2p: 100 x 64 KiB echo throughput each direction of dialling, next to the same 6.25 MiB echoed over plain TCP on the same link (50 connections x 128 KiB to tcp_echo, before p2pd starts); ping RTT medians, Noise handshake cycles of each role in the guest',
    ['noise', 'yamux', 'tap'], `${TAP_NET} init=/bin/tcp_echo:7,/bin/p2pd:port=4001:seed=kos-bench:ctl_listen=0.0.0.0`,
    {name: 'libp2p-tap', options: {pings: 20, echoStreams: 100, echoSize: 65536, plainTcpEcho: true}}, {
      timeoutSec: 1200,
      log: ['# metric tcp_echo_plain', '# metric p2p_echo_js_to_kos', '# metric p2p_echo_kos_to_js', '# metric p2p_noise_handshake_responder_cycles'],
    }),
  // N p2pd guests on one bridged LAN (src/netlab/p2plan.ts): they find each
  // other by libp2p mDNS; the figures are printed on guest 1's console. No
  // expect.log: every guest must show those lines, and only guest 1 prints the figures.
  ...[4, 8, 16].map((n): CaseDef => p2pLanCase(`bench_p2p_lan${n}`,
    `${n} kos guests on one LAN: time until every guest has found and connected to every other by mDNS, guest memory per libp2p connection, DHT lookup time and hops (median of the ${n - 1} guests reading a /kos/ value guest ${n} put), a 4 MiB file fetched from 1 and from 3 providers, time for every health monitor to mark a killed guest down (the guest's own clock: silence at the down mark) and for the guest to rejoin after a restart`,
    ['health-monitor', 'p2p'], n, P2P_LAN_MDNS_APPEND, {steps: ['discover', 'health', 'mem', 'dht', 'fetchbench', 'churn'], kill: [n]})),
]
