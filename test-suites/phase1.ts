// Phase 1: boot, CPU setup, memory, initrd and files, ELF loading, syscalls, ring 3.
// Every run also ends with the kernel's own "no_page_leak" result (free pages
// before the first suite/program == after the last).
import {TEST_IMAGE_NAMES} from '../src/builder/testimages.js'
import type {CaseDef} from '../src/suites/types.js'

const PHASE1_SYSCALLS = [
  'SYS_EXIT', 'SYS_YIELD', 'SYS_LOG', 'SYS_MMAP', 'SYS_READ', 'SYS_WRITE', 'SYS_OPEN', 'SYS_CLOSE',
  'SYS_STAT', 'SYS_MUNMAP', 'SYS_GETPID', 'SYS_UNLINK', 'SYS_PROFILE_WRITE',
]

/** The images the build packs under /badelf/ (src/builder/testimages.ts; good is the control that must run). */
const BAD_ELF_IMAGES = TEST_IMAGE_NAMES

/** Each fault kind user/fault.c knows; "!fault" marks the program as expected to be killed. */
const FAULT_KINDS = ['null', 'write_code', 'read_kernel', 'exec_data', 'stack_guard']

const ktestCase = (suite: string, title: string, components: string[], timeoutSec = 120): CaseDef => ({
  id: `ktest_${suite}`,
  phase: 1,
  title,
  components,
  syscalls: [],
  profile: 'base',
  append: `ktest=${suite}`,
  timeoutSec,
})

export const cases: CaseDef[] = [
  {
    id: 'elf_demo',
    phase: 1,
    title: 'hello runs in ring 3, prints its line and exits 0',
    components: ['boot', 'serial', 'gdt', 'elf-loader', 'syscalls', 'ring3'],
    syscalls: ['SYS_WRITE', 'SYS_EXIT'],
    profile: 'base',
    append: 'init=/bin/hello',
    timeoutSec: 120,
    expect: {log: ['[user] Hello from ring-3!', 'ok 1 hello']},
  },
  {
    id: 'argv',
    phase: 1,
    title: 'the loader puts argv on the user stack: argc, the words, NULL terminator',
    components: ['elf-loader', 'ring3'],
    syscalls: ['SYS_WRITE', 'SYS_EXIT'],
    profile: 'base',
    append: 'init=/bin/args:one:two',
    timeoutSec: 120,
    expect: {log: ['ok 1 args_one_two']},
  },
  {
    id: 'syscalls',
    phase: 1,
    title: 'syscall conformance: success and error paths of every phase-1 syscall',
    components: ['syscalls', 'ring3', 'ramfs', 'initrd'],
    syscalls: PHASE1_SYSCALLS,
    profile: 'base',
    append: 'init=/bin/syscalls',
    timeoutSec: 180,
    expect: {log: ['ok 1 syscalls', '[log pid 1] conformance log line']},
  },
  {
    id: 'memprotect',
    phase: 1,
    title: 'each user fault kind kills only its process with a reason; the kernel runs the next program',
    components: ['paging', 'idt', 'elf-loader', 'ring3'],
    syscalls: ['SYS_WRITE', 'SYS_EXIT'],
    profile: 'base',
    append: 'init=' + FAULT_KINDS.map((k) => `/bin/fault:${k}!fault`).join(',') + ',/bin/hello',
    timeoutSec: 180,
    expect: {
      log: [
        'fault_null # killed: page fault: read at 0x0',
        'fault_write_code # killed: page fault: write at',
        'fault_read_kernel # killed: page fault: read at 0xffff',
        'fault_exec_data # killed: page fault: execute at',
        'fault_stack_guard # killed: page fault: write at',
        'stack guard page',
        '[user] Hello from ring-3!',
      ],
    },
  },
  {
    id: 'stack_protector_user',
    phase: 1,
    title: 'a user stack buffer overflow is caught by the stack protector (per-image canary from getrandom): message, then the kernel kills only that process',
    components: ['ring3', 'elf-loader'],
    syscalls: ['SYS_WRITE', 'SYS_EXIT'],
    profile: 'base',
    append: 'init=/bin/stack_smash!fault,/bin/hello',
    timeoutSec: 120,
    expect: {
      log: [
        '[user] stack_smash: writing 64 bytes into a 16-byte buffer',
        '*** stack smashing detected ***: terminated',
        'ok 1 stack_smash # killed: invalid opcode (vector 6, error 0x0)',
        '[user] Hello from ring-3!',
      ],
    },
  },
  {
    id: 'elf_malformed',
    phase: 1,
    title: 'every /badelf image is refused by the loader without leaking; good.elf runs',
    components: ['elf-loader'],
    syscalls: ['SYS_WRITE', 'SYS_EXIT'],
    profile: 'base',
    append: 'ktest=elf',
    timeoutSec: 180,
    // The KTAP tree must be all ok; these lines prove every image was actually tried.
    expect: {log: [...BAD_ELF_IMAGES.map((n) => ` elf_${n}\n`), '[user] Hello from ring-3!']},
  },
  ktestCase('lib', 'kernel library: strings and formatted output', ['serial']),
  ktestCase('cpu', 'GDT/TSS, IDT gates, PIT ticks, SSE enabled', ['gdt', 'idt', 'pic-pit']),
  ktestCase('pmm', 'physical allocator: no page twice, free count restored', ['pmm']),
  ktestCase('paging', 'paging: map/unmap/permissions, W^X, user/kernel split, uncached MMIO', ['paging', 'mmio']),
  ktestCase('heap', 'kernel heap: kmalloc/kfree sizes, reuse, large blocks, guard pages', ['heap']),
  ktestCase('tarfs', 'initrd: ustar headers, lookup by path, directories', ['initrd']),
  ktestCase('proc', 'processes: bad spawn requests refused, SSE registers kept per process across yields', ['ring3']),
  ktestCase('ramfs', 'in-memory files: write/read back/unlink, holes, limits, open flags', ['ramfs']),
  {
    id: 'no_page_leak',
    phase: 1,
    title: 'all suites and programs in one boot: the free page count ends where it started',
    components: ['pmm', 'paging', 'heap', 'elf-loader', 'syscalls'],
    syscalls: PHASE1_SYSCALLS,
    profile: 'base',
    append:
      'ktest=all init=/bin/hello,/bin/syscalls,' + FAULT_KINDS.map((k) => `/bin/fault:${k}!fault`).join(','),
    timeoutSec: 300,
    expect: {log: ['# free pages before', ' no_page_leak\n']},
  },
]
