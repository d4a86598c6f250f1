// The components the progress report tracks. A component's status comes from
// the cases that name its id in `components` (test-suites/*.ts) and from
// whether any source file exists at its paths; nothing here states a status.

export interface ComponentDef {
  /** Id that cases list in CaseDef.components. */
  id: string
  name: string
  phase: number
  /**
   * Source paths relative to the repository root. `*` matches within one path
   * segment, `**` across segments; a pattern that names a directory covers
   * everything below it. Every pattern must match a file (a unit test checks);
   * a component nobody has started has none, and the report shows it missing.
   */
  paths: string[]
  /**
   * vitest files (globs) that exercise this component's code on the host. Shown
   * beside the status, never part of it: a row is done only when QEMU cases say so.
   */
  unitTests?: string[]
  /**
   * QEMU case ids the component's issue names as what proves it: the component is
   * done only when every one is in the matrix and passed in the run reported on;
   * one missing, not run, skipped or failing makes it partial, and the report says which.
   */
  requires?: string[]
}

/** The portable network stack built for the host with sanitizers (tools/net). */
const NET_HOST_TESTS = ['test/unit/net*.test.ts', 'test/host/net*.test.ts']

export const COMPONENTS: ComponentDef[] = [
  // Phase 0: the harness that proves everything else (its own self-tests).
  {id: 'harness', name: 'Test harness (QEMU runner, KTAP parser, verdicts)', phase: 0, paths: ['src/suites/**', 'src/qemu/**', 'src/ktap/**'],
    unitTests: ['test/integration/harness*.test.ts', 'test/unit/ktap*.test.ts', 'test/unit/suites*.test.ts', 'test/unit/qemu*.test.ts']},
  // Phase 1: kernel foundations
  {id: 'boot', name: 'Boot and long mode (multiboot 32->64)', phase: 1, paths: ['kernel/arch/x86_64/boot*', 'kernel/arch/x86_64/multiboot*', 'kernel/kernel.ld', 'kernel/main.c']},
  {id: 'gdt', name: 'GDT and TSS', phase: 1, paths: ['kernel/arch/x86_64/gdt*']},
  {id: 'idt', name: 'IDT and exceptions', phase: 1,
    paths: ['kernel/arch/x86_64/idt*', 'kernel/arch/x86_64/isr*', 'kernel/arch/x86_64/trap*', 'kernel/proc/fault*']},
  {id: 'pic-pit', name: 'PIC and PIT timer', phase: 1, paths: ['kernel/arch/x86_64/irq*']},
  {id: 'serial', name: 'Serial console (COM1)', phase: 1, paths: ['kernel/drivers/serial*']},
  {id: 'pmm', name: 'Physical page allocator', phase: 1, paths: ['kernel/mm/pmm*']},
  {id: 'paging', name: 'Paging and address spaces', phase: 1, paths: ['kernel/mm/paging*', 'kernel/arch/x86_64/memlayout.h']},
  {id: 'heap', name: 'Kernel heap (kmalloc)', phase: 1, paths: ['kernel/mm/heap*']},
  {id: 'mmio', name: 'MMIO mappings', phase: 1, paths: ['kernel/mm/mmio*']},
  {id: 'initrd', name: 'Initrd (ustar tarfs)', phase: 1, paths: ['kernel/fs/tar*', 'kernel/include/kos/initrd.h']},
  {id: 'ramfs', name: 'In-memory file system and file descriptors', phase: 1, paths: ['kernel/fs/ramfs*', 'kernel/fs/file*', 'kernel/proc/kstat*']},
  {id: 'elf-loader', name: 'ELF loader', phase: 1, paths: ['kernel/proc/elf*']},
  {id: 'syscalls', name: 'System call table and user-pointer checks', phase: 1, paths: ['kernel/sys/**', 'kernel/include/kos/syscall*.h', 'kernel/mm/uaccess*']},
  {id: 'ring3', name: 'User space (crt0, libc, ring 3)', phase: 1, paths: ['user/lib/**']},
  {id: 'fbcon', name: 'Screen console (framebuffer, built-in 8x16 font)', phase: 1, paths: ['kernel/drivers/fbcon*', 'kernel/drivers/font*', 'src/screen/**'],
    unitTests: ['test/unit/screen*.test.ts']},
  {id: 'boot-image', name: 'Bootable ISO (kos image: GRUB for BIOS and UEFI, multiboot2)', phase: 1, paths: ['src/image/**', 'src/commands/image.ts'],
    unitTests: ['test/unit/image*.test.ts']},
  // Phase 2: processes, scheduling and WASM
  {id: 'processes', name: 'Processes, fork/exec/wait', phase: 2,
    paths: ['kernel/proc/proc*', 'kernel/proc/fork*', 'kernel/proc/wait*', 'kernel/include/kos/wait.h']},
  {id: 'scheduler', name: 'Preemptive scheduler', phase: 2, paths: ['kernel/proc/sched*']},
  {id: 'pipes', name: 'Pipes', phase: 2, paths: ['kernel/proc/pipe*']},
  {id: 'ipc', name: 'Message IPC between processes (original report)', phase: 2, paths: []},
  {id: 'signals', name: 'Signals (sigaction, masks, delivery and sigreturn, EINTR/SA_RESTART)', phase: 2,
    paths: ['kernel/proc/signal*', 'kernel/include/kos/signal.h']},
  {id: 'wasm', name: 'WebAssembly runtime', phase: 2, paths: ['kernel/wasm/**', 'kernel/sys/sys_wasm*', 'user/lib/wasm.*'], unitTests: ['test/unit/wasm*.test.ts', 'test/host/wasm*.test.ts']},
  // Phase 3: networking
  {id: 'pci', name: 'PCI enumeration', phase: 3, paths: ['kernel/drivers/pci*']},
  {id: 'e1000', name: 'e1000 NIC driver', phase: 3, paths: ['kernel/drivers/e1000*']},
  {
    id: 'net-stack',
    name: 'Network stack core (netif, buffers, boot wiring)',
    phase: 3,
    paths: ['kernel/net/netif*', 'kernel/drivers/net_boot*', 'kernel/net/platform*', 'kernel/net/net_env*'],
    unitTests: NET_HOST_TESTS,
  },
  {id: 'ethernet', name: 'Ethernet framing', phase: 3, paths: ['kernel/net/eth*'], unitTests: NET_HOST_TESTS},
  {id: 'arp', name: 'ARP', phase: 3, paths: ['kernel/net/arp*'], unitTests: NET_HOST_TESTS},
  {id: 'ipv4', name: 'IPv4', phase: 3, paths: ['kernel/net/ipv4*'], unitTests: NET_HOST_TESTS},
  {id: 'icmp', name: 'ICMP (ping)', phase: 3, paths: ['kernel/net/icmp*'], unitTests: NET_HOST_TESTS},
  {id: 'udp', name: 'UDP', phase: 3, paths: ['kernel/net/udp*'], unitTests: NET_HOST_TESTS},
  {id: 'tcp', name: 'TCP (original: CONNECT/LISTEN/ACCEPT/SEND/RECV for streams)', phase: 3, paths: ['kernel/net/tcp*'], unitTests: NET_HOST_TESTS},
  {id: 'sockets', name: 'Socket syscalls', phase: 3, paths: ['kernel/net/socket*', 'kernel/sys/sys_net*'], unitTests: NET_HOST_TESTS},
  {id: 'loopback', name: 'Loopback interface (lo, 127.0.0.1)', phase: 3, paths: ['kernel/net/loopback*'], unitTests: NET_HOST_TESTS},
  {id: 'poll', name: 'poll and O_NONBLOCK (fcntl) for every file kind', phase: 3, paths: ['kernel/sys/sys_file*']},
  {id: 'random', name: 'Kernel random source and getrandom', phase: 3, paths: ['kernel/lib/random*', 'kernel/arch/x86_64/rng*', 'kernel/sys/sys_random*']},
  {id: 'tap', name: 'TAP device in a per-run network namespace (host side)', phase: 3, paths: ['src/qemu/netns*', 'qemu/e1000-tap.json']},
  {id: 'lan', name: 'Multi-guest virtual LAN', phase: 3, paths: ['src/netlab/hub*', 'qemu/lan-*.json']},
  {
    id: 'net-robustness',
    name: 'Malformed frames dropped and counted',
    phase: 3,
    paths: ['src/netlab/frames*', 'tools/net/**'],
    unitTests: NET_HOST_TESTS,
  },
  // Phase 4: discovery and P2P
  {id: 'mdns', name: 'mDNS service discovery', phase: 4, paths: ['kernel/net/mdns*']},
  {id: 'crypto', name: 'Crypto library (SHA-2, HMAC, HKDF, X25519, Ed25519, ChaCha20-Poly1305)', phase: 4, paths: ['user/p2p/crypto/**'],
    unitTests: ['test/host/p2p-ktap.test.ts']},
  {id: 'noise', name: 'libp2p connection upgrade: multistream-select and Noise XX with the libp2p handshake payload', phase: 4,
    paths: ['user/p2p/core/noise*', 'user/p2p/core/mss*', 'user/p2p/core/multiformats*'], unitTests: ['test/host/p2p-*.test.ts']},
  {id: 'yamux', name: 'yamux stream multiplexing, connections and limits (p2pd)', phase: 4, paths: ['user/p2p/core/node*', 'user/p2p/cmd/p2pd.c'],
    unitTests: ['test/host/p2p-libp2p.test.ts']},
  {id: 'identify', name: 'libp2p identify and identify push', phase: 4, paths: ['user/p2p/core/proto*'], unitTests: ['test/host/p2p-libp2p.test.ts']},
  {id: 'ping', name: 'libp2p ping and the /kos/echo/1.0.0 protocol', phase: 4, paths: ['user/p2p/core/proto*', 'user/p2p/cmd/p2p.c'],
    unitTests: ['test/host/p2p-libp2p.test.ts']},
  {id: 'libp2p-mdns', name: 'libp2p mDNS discovery (_p2p._udp.local, dnsaddr= TXT) with dialling of what is found (p2pd module mdns)', phase: 4,
    paths: ['user/p2p/core/mdns*'], unitTests: ['test/host/p2p-ktap.test.ts']},
  // Items of the original hand-written report that kos has not built yet (or only
  // in part): a row each, so the report shows them missing instead of leaving them out.
  {id: 'p2p', name: 'P2P overlay (original: kernel/net/p2p.c, peers discovered and kept): mDNS discovery, health monitor with redial, many guests with churn', phase: 4,
    paths: ['user/p2p/core/mdns*', 'user/p2p/core/health*', 'src/netlab/p2plan*'], requires: ['p2p_lan8_churn', 'p2p_lan8_dht']},
  {id: 'dht', name: 'Kademlia DHT (original long term: "P2P Overlay: DHT o similar"): kad-dht messages, k-buckets, /kos/ records, providers, lookups',
    phase: 4, paths: ['user/p2p/core/kad*', 'src/netlab/kad*'], unitTests: ['test/host/p2p-kad.test.ts', 'test/host/p2p-ktap.test.ts'], requires: ['kad_js_tap', 'p2p_kadtest', 'p2p_lan8_dht']},
  {id: 'rpc', name: 'RPC call/response between nodes (original phase-3 metric): /kos/rpc/1.0.0, deadlines, errors, calls in flight; the p2p_* user API', phase: 4,
    paths: ['user/p2p/core/rpc*', 'user/lib/p2p.*', 'user/p2p_lan_test.c'], unitTests: ['test/host/p2p-rpc.test.ts'], requires: ['p2p_rpc_lan2', 'p2p_lan8_dht']},
  {id: 'remote-wasm', name: 'WebAssembly run on behalf of other nodes: /kos/wasm/1.0.0 under the receiver\'s fuel and page limits, the distributed primes job', phase: 4,
    paths: ['user/p2p/core/wasmrun*', 'user/p2p/core/job*', 'user/p2p/kos/wasm_kos.c', 'tools/p2p/wasm_host.c'], unitTests: ['test/host/p2p-rpc.test.ts'], requires: ['p2p_rpc_lan2', 'p2p_lan8_dht']},
  {id: 'file-sharing', name: 'P2P file sharing (original app: "P2P file sharing básico"): UnixFS CIDs as IPFS computes them, Bitswap 1.2.0 with Helia and among kos nodes', phase: 4,
    paths: ['user/p2p/core/files*', 'user/p2p/core/bitswap*', 'user/p2p/core/unixfs*', 'user/p2p/core/cid*', 'user/p2p/core/blockstore*', 'src/netlab/helia*'],
    unitTests: ['test/host/p2p-unixfs.test.ts', 'test/host/p2p-files.test.ts'], requires: ['files_helia_tap', 'p2p_lan8_churn']},
  {id: 'echo-service', name: 'Distributed echo server (original app): /kos/echo/1.0.0 between libp2p nodes', phase: 4, paths: ['user/p2p/core/proto*'],
    unitTests: ['test/host/p2p-libp2p.test.ts']},
  {id: 'health-monitor', name: 'Network health monitor (original app): every peer pinged, RTT, loss, suspect/down, the overlay drawn per case', phase: 4,
    paths: ['user/p2p/core/health*', 'src/report/overlay*', 'src/netlab/p2plan*'], unitTests: ['test/host/p2p-health.test.ts', 'test/unit/overlay.test.ts'], requires: ['p2p_lan8_churn']},
]


/** Other spellings cases may use for a component id. */
export const COMPONENT_ALIASES: Record<string, string> = {
  'long-mode': 'boot',
  tss: 'gdt',
  'gdt-tss': 'gdt',
  exceptions: 'idt',
  interrupts: 'idt',
  pic: 'pic-pit',
  pit: 'pic-pit',
  timer: 'pic-pit',
  pagetables: 'paging',
  kmalloc: 'heap',
  tarfs: 'initrd',
  fs: 'ramfs',
  files: 'ramfs',
  elf: 'elf-loader',
  syscall: 'syscalls',
  user: 'ring3',
  userspace: 'ring3',
  'user-space': 'ring3',
  process: 'processes',
  fork: 'processes',
  sched: 'scheduler',
  pipe: 'pipes',
  signal: 'signals',
  'wasm-runtime': 'wasm',
  eth: 'ethernet',
  netif: 'net-stack',
  net: 'net-stack',
  robustness: 'net-robustness',
  ip: 'ipv4',
  socket: 'sockets',
  'socket-syscalls': 'sockets',
}

/** Map a component id as a case wrote it to a known id, or null. */
export function resolveComponentId(id: string, components: readonly ComponentDef[] = COMPONENTS): string | null {
  const key = id.trim().toLowerCase().replace(/_/g, '-')
  if (components.some((c) => c.id === key)) return key
  const alias = COMPONENT_ALIASES[key]
  return alias && components.some((c) => c.id === alias) ? alias : null
}

/** One syscall of the original hand-written report: its numbering, what it is for, its phase. */
export interface OriginalSyscall {
  name: string
  number: number
  meaning: string
  phase: number
  /** A component that must be done before the syscall is: its original meaning needs it (TCP). */
  needs?: string
}

/** The syscall list of the original hand-written report, with its numbering. */
export const ORIGINAL_SYSCALLS: readonly OriginalSyscall[] = [
  {name: 'SYS_EXIT', number: 1, phase: 1, meaning: 'end the calling process with a status'},
  {name: 'SYS_YIELD', number: 2, phase: 1, meaning: 'give up the CPU to the next runnable process'},
  {name: 'SYS_LOG', number: 3, phase: 1, meaning: 'write a message to the kernel log (serial console)'},
  {name: 'SYS_MMAP', number: 4, phase: 1, meaning: 'map anonymous memory into the process'},
  {name: 'SYS_FORK', number: 5, phase: 2, meaning: 'copy the calling process'},
  {name: 'SYS_EXEC', number: 6, phase: 2, meaning: 'replace the process image with an ELF program'},
  {name: 'SYS_WAIT', number: 7, phase: 2, meaning: 'wait for a child to end and collect its status'},
  {name: 'SYS_READ', number: 8, phase: 1, meaning: 'read from a file descriptor'},
  {name: 'SYS_WRITE', number: 9, phase: 1, meaning: 'write to a file descriptor'},
  {name: 'SYS_OPEN', number: 10, phase: 1, meaning: 'open a file by path'},
  {name: 'SYS_CLOSE', number: 11, phase: 1, meaning: 'close a file descriptor'},
  {name: 'SYS_STAT', number: 12, phase: 1, meaning: 'size and kind of a file'},
  {name: 'SYS_WASM_LOAD', number: 13, phase: 2, meaning: 'load and validate a WebAssembly module'},
  {name: 'SYS_WASM_EXEC', number: 14, phase: 2, meaning: 'run an export of a loaded module'},
  {name: 'SYS_SOCKET', number: 15, phase: 3, meaning: 'create a socket'},
  {name: 'SYS_BIND', number: 16, phase: 3, meaning: 'give a socket its local address and port'},
  {name: 'SYS_CONNECT', number: 17, phase: 3, needs: 'tcp', meaning: 'open a TCP connection (for UDP: set the default peer)'},
  {name: 'SYS_LISTEN', number: 18, phase: 3, needs: 'tcp', meaning: 'accept TCP connections on a bound socket'},
  {name: 'SYS_ACCEPT', number: 19, phase: 3, needs: 'tcp', meaning: 'take the next incoming TCP connection'},
  {name: 'SYS_SEND', number: 20, phase: 3, needs: 'tcp', meaning: 'send on a connected (TCP) socket'},
  {name: 'SYS_RECV', number: 21, phase: 3, needs: 'tcp', meaning: 'receive on a connected (TCP) socket'},
  {name: 'SYS_SENDTO', number: 22, phase: 3, meaning: 'send a datagram to an address'},
  {name: 'SYS_RECVFROM', number: 23, phase: 3, meaning: 'receive a datagram and its sender'},
]
