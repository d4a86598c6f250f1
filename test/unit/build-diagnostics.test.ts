import {describe, expect, it} from 'vitest'
import {annotations, parseDiagnostics} from '../../src/builder/diagnostics.js'

describe('parseDiagnostics', () => {
  it('reads clang errors and warnings with file:line:col', () => {
    const text = [
      "kernel/mm/paging.c:160:25: error: call to undeclared function 'boot_info_ram_regions'",
      '  160 |     for (int r = 0; r < boot_info_ram_regions(); r++) {',
      '      |                         ^',
      'kernel/lib/printf.c:12:5: warning: unused variable \'x\' [-Wunused-variable]',
      "kernel/wasm/wasm_env.h:21:10: fatal error: 'mm/heap.h' file not found",
      '2 errors generated.',
    ].join('\n')
    expect(parseDiagnostics(text)).toEqual([
      {file: 'kernel/mm/paging.c', line: 160, col: 25, severity: 'error', message: "call to undeclared function 'boot_info_ram_regions'"},
      {file: 'kernel/lib/printf.c', line: 12, col: 5, severity: 'warning', message: "unused variable 'x' [-Wunused-variable]"},
      {file: 'kernel/wasm/wasm_env.h', line: 21, col: 10, severity: 'error', message: "'mm/heap.h' file not found"},
    ])
  })

  it('reads lld undefined symbols with the referencing source line', () => {
    const text = [
      'ld.lld-19: error: undefined symbol: trap_dispatch',
      '>>> referenced by isr.S:88 (/work/main/kernel/arch/x86_64/isr.S:88)',
      '>>>               build/obj/kernel/arch/x86_64/isr.S.o:(.text+0x182)',
    ].join('\n')
    expect(parseDiagnostics(text)).toEqual([
      {severity: 'error', message: 'undefined symbol: trap_dispatch', file: '/work/main/kernel/arch/x86_64/isr.S', line: 88},
    ])
  })

  it('ignores colour codes and plain lines', () => {
    // clang -fcolor-diagnostics puts escapes between the location and the severity.
    expect(parseDiagnostics('\x1b[1mx.c:1:2: \x1b[0;1;31merror: \x1b[0mbad')).toEqual([{file: 'x.c', line: 1, col: 2, severity: 'error', message: 'bad'}])
    expect(parseDiagnostics('\x1b[1mx.c:1:2: error: bad\x1b[0m')).toEqual([{file: 'x.c', line: 1, col: 2, severity: 'error', message: 'bad'}])
    expect(parseDiagnostics('1 error generated.\nIn file included from a.c:3:')).toEqual([])
  })
})

describe('annotations', () => {
  it('formats GitHub workflow commands and escapes the message', () => {
    expect(annotations([{file: 'kernel/main.c', line: 3, col: 7, severity: 'error', message: "50% of 'x'\nnext"}])).toEqual([
      "::error file=kernel/main.c,line=3,col=7::50%25 of 'x'%0Anext",
    ])
    expect(annotations([{severity: 'warning', message: 'w'}])).toEqual(['::warning::w'])
  })
})
