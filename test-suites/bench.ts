// Benchmarks (kos bench): figures are "# metric NAME VALUE UNIT" diagnostics.
import type {CaseDef} from '../src/suites/types.js'
import {P2P_LAN_MDNS_APPEND} from './phase4.js'

export const cases: CaseDef[] = [
  {
    id: 'bench_null_syscall',
    phase: 1,
    title: 'null syscall round trip (getpid through the syscall instruction, then through int 0x80), rdtsc cycles per call',
    components: ['syscalls'],
    syscalls: ['SYS_GETPID'],
    profile: 'base',
    append: 'init=/bin/syscall_bench',
    timeoutSec: 180,
    expect: {log: ['# metric null_syscall_cycles', '# metric null_syscall_int80_cycles']},
  },
  {
    id: 'bench_context_switch',
    phase: 2,
    title: 'context switch: two processes ping-pong one byte through two pipes, rdtsc cycles per switch',
    components: ['scheduler', 'pipes'],
    syscalls: ['SYS_PIPE', 'SYS_READ', 'SYS_WRITE', 'SYS_FORK'],
    profile: 'base',
    append: 'init=/bin/proc_bench:ctxswitch',
    timeoutSec: 240,
    expect: {log: ['# metric context_switch_cycles']},
  },
  {
    id: 'bench_fork_exit_wait',
    phase: 2,
    title: 'fork + child exit + waitpid, rdtsc cycles per round',
    components: ['processes'],
    syscalls: ['SYS_FORK', 'SYS_EXIT', 'SYS_WAITPID'],
    profile: 'base',
    append: 'init=/bin/proc_bench:fork',
    timeoutSec: 240,
    expect: {log: ['# metric fork_exit_wait_cycles']},
  },
  {
    id: 'bench_pipe_throughput',
    phase: 2,
    title: 'pipe throughput: 1 MiB to a child in 16 KiB writes, rdtsc cycles per KiB',
    components: ['pipes'],
    syscalls: ['SYS_PIPE', 'SYS_READ', 'SYS_WRITE'],
    profile: 'base',
    append: 'init=/bin/proc_bench:pipe',
    timeoutSec: 240,
    expect: {log: ['# metric pipe_cycles_per_kib']},
  },
  {
    id: 'bench_signal_roundtrip',
    phase: 2,
    title: 'signal round trip: kill(self, SIGUSR1) -> handler -> sigreturn through the trampoline, rdtsc cycles per round trip',
    components: ['signals'],
    syscalls: ['SYS_KILL', 'SYS_SIGACTION', 'SYS_SIGRETURN'],
    profile: 'base',
    append: 'init=/bin/proc_bench:signal',
    timeoutSec: 240,
    expect: {log: ['# metric signal_roundtrip_cycles', 'ok 1 every_signal_handled']},
  },
  {
    // The peer (src/netlab, udp-bench-tap) measures from the case's
    // namespace and hands its figures to the guest with kos:metric, so they
    // land in the serial log as "# metric udp_echo_rtt_median/_p99 N us" and
    // "# metric udp_echo_throughput N kbit/s".
    id: 'bench_udp_tap',
    phase: 3,
    title: 'UDP echo RTT (median, p99) and throughput over TAP',
    components: ['e1000', 'udp'],
    syscalls: [],
    profile: 'e1000-tap',
    append: 'ktest=netecho ip=198.51.100.2 gw=198.51.100.1 mask=255.255.255.0',
    timeoutSec: 600,
    needsNetAdmin: true,
    peer: {name: 'udp-bench-tap', options: {count: 500}},
    expect: {log: ['# metric udp_echo_rtt_median', '# metric udp_echo_rtt_p99', '# metric udp_echo_throughput']},
  },
  {
    // The peer (src/netlab/tcp.ts, tcp-bench-tap) times the transfers from the
    // case's namespace and hands the figures to the guest's tcp_bench, which
    // prints them as "# metric" lines.
    id: 'bench_tcp_tap',
    phase: 3,
    title: 'TCP over TAP: 16 MiB throughput host->guest and guest->host, 1-byte request/response rate on one connection, connections per second',
    components: ['tcp', 'e1000'],
    syscalls: [],
    profile: 'e1000-tap',
    append: 'init=/bin/tcp_bench:5001 ip=198.51.100.2 gw=198.51.100.1 mask=255.255.255.0',
    timeoutSec: 600,
    needsNetAdmin: true,
    peer: {name: 'tcp-bench-tap', options: {bytes: 16 << 20, rr: 2000, conns: 200}},
    expect: {log: ['# metric tcp_throughput_host_to_guest', '# metric tcp_throughput_guest_to_host', '# metric tcp_rr_1byte', '# metric tcp_connections']},
  },
  {
    // Two nodes in one process linked in memory (user/p2p/cmd/p2p_selftest.c):
    // the cycles each side spends in the Noise XX handshake (X25519, Ed25519
    // sign and verify, ChaCha20-Poly1305), and 16 x 64 KiB of echo through
    // Noise and yamux both ways.
    id: 'bench_p2p_noise',
    phase: 4,
    title: 'libp2p Noise XX handshake, guest cycles of each role, and 1 MiB echoed through Noise + yamux in memory',
    components: ['noise', 'yamux'],
    syscalls: [],
    profile: 'base',
    append: 'init=/bin/p2p_selftest',
    timeoutSec: 600,
    expect: {log: ['# metric noise_handshake_initiator_cycles', '# metric noise_handshake_responder_cycles', '# metric echo_memory_1mib_cycles']},
  },
  {
    // The libp2p-tap peer (src/netlab/libp2p.ts) measures from the case's
    // namespace and hands its figures to the guest's p2pd (p2p metric), which
    // prints them as "# metric" lines; p2pd adds its Noise handshake cycles
    // per role when it quits.
    id: 'bench_p2p_tap',
    phase: 4,
    title: 'libp2p over TAP against js-libp2p: 100 x 64 KiB echo throughput each direction of dialling, next to the same 6.25 MiB echoed over plain TCP on the same link (50 connections x 128 KiB to tcp_echo, before p2pd starts); ping RTT medians, Noise handshake cycles of each role in the guest',
    components: ['noise', 'yamux', 'tap'],
    syscalls: [],
    profile: 'e1000-tap',
    append: 'ip=198.51.100.2 gw=198.51.100.1 mask=255.255.255.0 init=/bin/tcp_echo:7,/bin/p2pd:port=4001:seed=kos-bench:ctl_listen=0.0.0.0',
    timeoutSec: 1200,
    needsNetAdmin: true,
    peer: {name: 'libp2p-tap', options: {pings: 20, echoStreams: 100, echoSize: 65536, plainTcpEcho: true}},
    expect: {log: ['# metric tcp_echo_plain', '# metric p2p_echo_js_to_kos', '# metric p2p_echo_kos_to_js', '# metric p2p_noise_handshake_responder_cycles']},
  },
  ...[4, 8, 16].map((n): CaseDef => ({
    // N p2pd guests on one bridged LAN (src/netlab/p2plan.ts): they find each
    // other by libp2p mDNS; the figures are printed on guest 1's console.
    id: `bench_p2p_lan${n}`,
    phase: 4,
    title: `${n} kos guests on one LAN: time until every guest has found and connected to every other by mDNS, guest memory per libp2p connection, DHT lookup time and hops (median of the ${n - 1} guests reading a /kos/ value guest ${n} put), a 4 MiB file fetched from 1 and from 3 providers, time for every health monitor to mark a killed guest down (the guest's own clock: silence at the down mark) and for the guest to rejoin after a restart`,
    components: ['health-monitor', 'p2p'],
    syscalls: [],
    profile: 'lan-tap',
    guests: n,
    append: P2P_LAN_MDNS_APPEND,
    timeoutSec: 1200,
    needsNetAdmin: true,
    // No expect.log: every guest must show those lines, and only guest 1 prints the figures.
    peer: {name: 'p2p-lan', options: {steps: ['discover', 'health', 'mem', 'dht', 'fetchbench', 'churn'], kill: [n]}},
  })),
]
