// Phase 2: the WebAssembly runtime inside the kernel, driven from user space
// through SYS_WASM_LOAD / SYS_WASM_EXEC / SYS_WASM_UNLOAD (user/wasm_test.c,
// modules from user/wasm/ packed as /wasm/NAME.wasm). ABI: docs/ARCHITECTURE.md,
// "WebAssembly syscalls".
import type {CaseDef} from '../src/suites/types.js'
import {baseCase} from './lib/cases.js'

const WASM_SYSCALLS = ['SYS_WASM_LOAD', 'SYS_WASM_EXEC', 'SYS_WASM_UNLOAD']
const COMPONENTS = ['wasm-runtime', 'syscalls']

/** A case of the wasm syscalls; `append` says which programs (or ktest=wasm) run. */
const wasmCase = (id: string, title: string, append: string, log: string[], timeoutSec = 300): CaseDef =>
  baseCase(2, id, title, COMPONENTS, append, {syscalls: WASM_SYSCALLS, timeoutSec, log})

export const cases: CaseDef[] = [
  wasmCase(
    'wasm_ktest',
    'in-kernel suite: owner checks (-EPERM), release of an exited pid\'s modules, slots of vanished owners reclaimed, -ENOSPC, step limit, refusals, nothing leaked',
    'ktest=wasm',
    ['[wasm] ktest log', '31337', 'ok 1 wasm'],
  ),
  wasmCase(
    'wasm_basic',
    'test.wasm from the initrd: add(2,3)=5, factorial(10)=3628800, get_magic_number()=42, i64 calls; bad ids, names, pointers and argument counts are refused',
    'init=/bin/wasm_test:basic',
    ['# add(2,3) = 5', '# factorial(10) = 3628800', '# get_magic_number() = 42', 'ok 1 wasm_test_basic'],
  ),
  wasmCase(
    'wasm_traps',
    'each trap kind (unreachable, div by zero, overflow, conversion, memory, table, signature, call stack, step limit) returns its code; the module and the kernel go on; the loader\'s own limits (fuel 5000, 2 pages) end a loop and a memory.grow, a 4-page module is refused with -E2BIG, limits out of range with -EINVAL',
    'init=/bin/wasm_test:traps,/bin/wasm_test:limits,/bin/hello',
    [
      'traps.spin trapped: out of fuel',
      'traps.stack_exhaustion trapped: call stack exhausted',
      'ok 1 wasm_test_traps',
      'traps_small.spin trapped: out of fuel',
      'ok 2 wasm_test_limits',
      '[user] Hello from ring-3!',
      'ok 3 hello',
    ],
  ),
  wasmCase(
    'wasm_slots',
    'eight slots: the ninth load gets -ENOSPC, unload frees a slot; an exited process\'s modules are freed, and so are those of an image replaced by exec',
    'init=/bin/wasm_leave_loaded,/bin/wasm_test:slots,/bin/wasm_test:exec',
    ['ok 1 wasm_leave_loaded', 'ok 2 wasm_test_slots', 'ok 3 wasm_test_exec'],
  ),
  wasmCase(
    'wasm_fault_frees',
    'a process killed by a page fault with all eight slots in use loses its modules; the next program loads eight',
    'init=/bin/wasm_test:fault_loaded!fault,/bin/wasm_test:slots',
    ['# wasm_test: 8 modules loaded, now faulting', 'wasm_test_fault_loaded # killed: page fault', 'ok 2 wasm_test_slots'],
  ),
  wasmCase(
    'wasm_malformed',
    'malformed binaries, invalid code, unknown or mistyped imports, trapping/looping start functions are refused with -EINVAL and over-limit memory with -E2BIG, each with a logged reason',
    'init=/bin/wasm_test:malformed',
    ['load of "bad_import" refused: unknown import env.nope', 'ok 1 wasm_test_malformed'],
  ),
  wasmCase(
    'wasm_fuzz',
    '2000 mutated modules (fixed seed): each is refused with -EINVAL or loads, runs its exports to a result, a trap code or an error, and unloads; the kernel survives and every slot is free',
    'init=/bin/wasm_test:fuzz',
    ['ok 1 wasm_test_fuzz'],
    600,
  ),
  wasmCase(
    'wasm_imports',
    'env.log and env.print_i32 reach the console; a log range outside linear memory traps; a log flood ends at the per-exec console budget',
    'init=/bin/wasm_test:imports',
    [
      '[wasm] hello from env.log',
      '-12345',
      '2147483647',
      'imports: console budget of 16384 bytes per call used up',
      'Hello from WebAssembly!',
      '1229',
      'ok 1 wasm_test_imports',
    ],
  ),
  wasmCase(
    'wasm_preempt',
    'a generated module whose loop body is 100 000 straight-line instructions: a CPU-bound ticker keeps its fair share while it runs, the call ends out of fuel within one iteration of its instruction budget, and kill() ends a long call',
    'init=/bin/wasm_test:preempt',
    ['sl.run trapped: out of fuel', 'victim.run trapped: interrupted', 'ok 1 wasm_test_preempt'],
    600,
  ),
  // A forked child; pipes hand the module ids across.
  wasmCase(
    'wasm_isolation',
    'a process cannot run or unload another process\'s module (-EPERM, both directions across fork); the child\'s module is freed when it exits',
    'init=/bin/wasm_test:isolation',
    ['ok 1 wasm_test_isolation'],
  ),
]
