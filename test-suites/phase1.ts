// Phase 1: boot, CPU setup, memory, initrd and files, ELF loading, syscalls, ring 3.
// Every run also ends with the kernel's own "no_page_leak" result (free pages
// before the first suite/program == after the last).
import {TEST_IMAGE_NAMES} from '../src/builder/testimages.js'
import type {CaseDef} from '../src/suites/types.js'
import {baseCase, ktestCase} from './lib/cases.js'

const PHASE1_SYSCALLS = [
  'SYS_EXIT', 'SYS_YIELD', 'SYS_LOG', 'SYS_MMAP', 'SYS_READ', 'SYS_WRITE', 'SYS_OPEN', 'SYS_CLOSE',
  'SYS_STAT', 'SYS_MUNMAP', 'SYS_GETPID', 'SYS_UNLINK', 'SYS_PROFILE_WRITE',
]
/** What a ring-3 program that prints and exits calls. */
const WRITE_EXIT = ['SYS_WRITE', 'SYS_EXIT']

/** The images the build packs under /badelf/ (src/builder/testimages.ts; good is the control that must run). */
const BAD_ELF_IMAGES = TEST_IMAGE_NAMES

/** Each fault kind user/fault.c knows; "!fault" marks the program as expected to be killed. */
const FAULT_KINDS = ['null', 'write_code', 'read_kernel', 'exec_data', 'stack_guard']

export const cases: CaseDef[] = [
  baseCase(1, 'elf_demo', 'hello runs in ring 3, prints its line and exits 0',
    ['boot', 'serial', 'gdt', 'elf-loader', 'syscalls', 'ring3'], 'init=/bin/hello',
    {syscalls: WRITE_EXIT, log: ['[user] Hello from ring-3!', 'ok 1 hello']}),
  baseCase(1, 'argv', 'the loader puts argv on the user stack: argc, the words, NULL terminator',
    ['elf-loader', 'ring3'], 'init=/bin/args:one:two', {syscalls: WRITE_EXIT, log: ['ok 1 args_one_two']}),
  baseCase(1, 'syscalls', 'syscall conformance: success and error paths of every phase-1 syscall',
    ['syscalls', 'ring3', 'ramfs', 'initrd'], 'init=/bin/syscalls',
    {syscalls: PHASE1_SYSCALLS, timeoutSec: 180, log: ['ok 1 syscalls', '[log pid 1] conformance log line']}),
  baseCase(1, 'memprotect', 'each user fault kind kills only its process with a reason; the kernel runs the next program',
    ['paging', 'idt', 'elf-loader', 'ring3'], 'init=' + FAULT_KINDS.map((k) => `/bin/fault:${k}!fault`).join(',') + ',/bin/hello', {
      syscalls: WRITE_EXIT,
      timeoutSec: 180,
      log: [
        'fault_null # killed: page fault: read at 0x0',
        'fault_write_code # killed: page fault: write at',
        'fault_read_kernel # killed: page fault: read at 0xffff',
        'fault_exec_data # killed: page fault: execute at',
        'fault_stack_guard # killed: page fault: write at',
        'stack guard page',
        '[user] Hello from ring-3!',
      ],
    }),
  baseCase(1, 'stack_protector_user', 'a user stack buffer overflow is caught by the stack protector (per-image canary from getrandom): message, then the kernel kills only that process',
    ['ring3', 'elf-loader'], 'init=/bin/stack_smash!fault,/bin/hello', {
      syscalls: WRITE_EXIT,
      log: [
        '[user] stack_smash: writing 64 bytes into a 16-byte buffer',
        '*** stack smashing detected ***: terminated',
        'ok 1 stack_smash # killed: invalid opcode (vector 6, error 0x0)',
        '[user] Hello from ring-3!',
      ],
    }),
  // The KTAP tree must be all ok; the log lines prove every image was actually tried.
  baseCase(1, 'elf_malformed', 'every /badelf image is refused by the loader without leaking; good.elf runs', ['elf-loader'], 'ktest=elf',
    {syscalls: WRITE_EXIT, timeoutSec: 180, log: [...BAD_ELF_IMAGES.map((n) => ` elf_${n}\n`), '[user] Hello from ring-3!']}),
  ktestCase(1, 'lib', 'kernel library: strings and formatted output', ['serial']),
  ktestCase(1, 'cpu', 'GDT/TSS, IDT gates, PIT ticks, SSE enabled', ['gdt', 'idt', 'pic-pit']),
  ktestCase(1, 'pmm', 'physical allocator: no page twice, free count restored', ['pmm']),
  ktestCase(1, 'paging', 'paging: map/unmap/permissions, W^X, user/kernel split, uncached MMIO', ['paging', 'mmio']),
  ktestCase(1, 'heap', 'kernel heap: kmalloc/kfree sizes, reuse, large blocks, guard pages', ['heap']),
  ktestCase(1, 'tarfs', 'initrd: ustar headers, lookup by path, directories', ['initrd']),
  ktestCase(1, 'proc', 'processes: bad spawn requests refused, SSE registers kept per process across yields', ['ring3']),
  ktestCase(1, 'ramfs', 'in-memory files: write/read back/unlink, holes, limits, open flags', ['ramfs']),
  baseCase(1, 'no_page_leak', 'all suites and programs in one boot: the free page count ends where it started',
    ['pmm', 'paging', 'heap', 'elf-loader', 'syscalls'],
    'ktest=all init=/bin/hello,/bin/syscalls,' + FAULT_KINDS.map((k) => `/bin/fault:${k}!fault`).join(','),
    {syscalls: PHASE1_SYSCALLS, timeoutSec: 300, log: ['# free pages before', ' no_page_leak\n']}),
]
