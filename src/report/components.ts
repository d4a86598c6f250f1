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
  {
    id: 'idt',
    name: 'IDT and exceptions',
    phase: 1,
    paths: ['kernel/arch/x86_64/idt*', 'kernel/arch/x86_64/isr*', 'kernel/arch/x86_64/trap*'],
  },
  {id: 'pic-pit', name: 'PIC and PIT timer', phase: 1, paths: ['kernel/arch/x86_64/irq*']},
  {id: 'serial', name: 'Serial console (COM1)', phase: 1, paths: ['kernel/drivers/serial*']},
  {id: 'pmm', name: 'Physical page allocator', phase: 1, paths: ['kernel/mm/pmm*']},
  {id: 'paging', name: 'Paging and address spaces', phase: 1, paths: ['kernel/mm/paging*', 'kernel/arch/x86_64/memlayout.h']},
  {id: 'heap', name: 'Kernel heap (kmalloc)', phase: 1, paths: ['kernel/mm/heap*']},
  {id: 'mmio', name: 'MMIO mappings', phase: 1, paths: ['kernel/mm/mmio*']},
  {id: 'initrd', name: 'Initrd (ustar tarfs)', phase: 1, paths: ['kernel/fs/tar*', 'kernel/include/kos/initrd.h']},
  {id: 'ramfs', name: 'In-memory file system and file descriptors', phase: 1, paths: ['kernel/fs/ramfs*', 'kernel/fs/file*', 'kernel/fs/procinfo*']},
  {id: 'elf-loader', name: 'ELF loader', phase: 1, paths: ['kernel/proc/elf*']},
  {id: 'syscalls', name: 'System call table and user-pointer checks', phase: 1, paths: ['kernel/sys/**', 'kernel/include/kos/syscall*.h', 'kernel/mm/uaccess*']},
  {id: 'ring3', name: 'User space (crt0, libc, ring 3)', phase: 1, paths: ['user/lib/**']},
  {id: 'fbcon', name: 'Screen console (framebuffer, built-in 8x16 font)', phase: 1, paths: ['kernel/drivers/fbcon*', 'kernel/drivers/font*', 'src/screen/**'],
    unitTests: ['test/unit/screen*.test.ts']},
  {id: 'boot-image', name: 'Bootable ISO (kos image: GRUB for BIOS and UEFI, multiboot2)', phase: 1, paths: ['src/image/**', 'src/commands/image.ts'],
    unitTests: ['test/unit/image*.test.ts']},
  // Phase 2: processes, scheduling and WASM
  {
    id: 'processes',
    name: 'Processes, fork/exec/wait',
    phase: 2,
    paths: ['kernel/proc/proc*', 'kernel/proc/fork*', 'kernel/proc/wait*', 'kernel/include/kos/wait.h'],
  },
  {id: 'scheduler', name: 'Preemptive scheduler', phase: 2, paths: ['kernel/proc/sched*']},
  {id: 'pipes', name: 'Pipes', phase: 2, paths: ['kernel/fs/pipe*']},
  {id: 'wasm', name: 'WebAssembly runtime', phase: 2, paths: ['kernel/wasm/**', 'kernel/sys/sys_wasm*', 'user/lib/wasm.*'], unitTests: ['test/unit/wasm*.test.ts', 'test/host/wasm*.test.ts']},
  // Phase 3: networking
  {id: 'pci', name: 'PCI enumeration', phase: 3, paths: ['kernel/drivers/pci*']},
  {id: 'e1000', name: 'e1000 NIC driver', phase: 3, paths: ['kernel/drivers/e1000*']},
  {
    id: 'net-stack',
    name: 'Network stack core (netif, buffers, boot wiring)',
    phase: 3,
    paths: ['kernel/net/netif*', 'kernel/net/net_boot*', 'kernel/net/platform*', 'kernel/net/net_env*'],
    unitTests: NET_HOST_TESTS,
  },
  {id: 'ethernet', name: 'Ethernet framing', phase: 3, paths: ['kernel/net/eth*'], unitTests: NET_HOST_TESTS},
  {id: 'arp', name: 'ARP', phase: 3, paths: ['kernel/net/arp*'], unitTests: NET_HOST_TESTS},
  {id: 'ipv4', name: 'IPv4', phase: 3, paths: ['kernel/net/ipv4*'], unitTests: NET_HOST_TESTS},
  {id: 'icmp', name: 'ICMP (ping)', phase: 3, paths: ['kernel/net/icmp*'], unitTests: NET_HOST_TESTS},
  {id: 'udp', name: 'UDP', phase: 3, paths: ['kernel/net/udp*'], unitTests: NET_HOST_TESTS},
  {id: 'sockets', name: 'Socket syscalls', phase: 3, paths: ['kernel/net/socket*', 'kernel/net/net_syscalls*'], unitTests: NET_HOST_TESTS},
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
    unitTests: ['test/host/p2p-crypto*.test.ts']},
  {id: 'p2p', name: 'P2P overlay', phase: 4, paths: []},
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

/** The syscall list of the original hand-written report, with its numbering. */
export const ORIGINAL_SYSCALLS: ReadonlyArray<[name: string, number: number]> = [
  ['SYS_EXIT', 1],
  ['SYS_YIELD', 2],
  ['SYS_LOG', 3],
  ['SYS_MMAP', 4],
  ['SYS_FORK', 5],
  ['SYS_EXEC', 6],
  ['SYS_WAIT', 7],
  ['SYS_READ', 8],
  ['SYS_WRITE', 9],
  ['SYS_OPEN', 10],
  ['SYS_CLOSE', 11],
  ['SYS_STAT', 12],
  ['SYS_WASM_LOAD', 13],
  ['SYS_WASM_EXEC', 14],
  ['SYS_SOCKET', 15],
  ['SYS_BIND', 16],
  ['SYS_CONNECT', 17],
  ['SYS_LISTEN', 18],
  ['SYS_ACCEPT', 19],
  ['SYS_SEND', 20],
  ['SYS_RECV', 21],
  ['SYS_SENDTO', 22],
  ['SYS_RECVFROM', 23],
]
