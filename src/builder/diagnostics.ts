// Compiler and linker messages: file:line:col extraction and GitHub annotations.
import {ghAnnotation} from '../util/log.js'

export interface Diagnostic {
  file?: string
  line?: number
  col?: number
  severity: 'error' | 'warning'
  message: string
}

/** clang/gcc "file:line:col: error: msg" and ld.lld "ld.lld: error: msg" lines. */
export function parseDiagnostics(text: string): Diagnostic[] {
  const out: Diagnostic[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '')
    let m = /^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning): (.*)$/.exec(line)
    if (m) {
      out.push({file: m[1], line: Number(m[2]), col: m[3] ? Number(m[3]) : undefined,
        severity: m[4] === 'warning' ? 'warning' : 'error', message: m[5]})
      continue
    }
    m = /^(?:\S*ld(?:\.lld)?(?:-\d+)?|\S*objcopy(?:-\d+)?|wasm-ld(?:-\d+)?): (error|warning): (.*)$/.exec(line)
    if (m) {
      out.push({severity: m[1] === 'warning' ? 'warning' : 'error', message: m[2]})
      continue
    }
    // lld names where an undefined symbol is used on the next lines: ">>> referenced by main.c:12 (kernel/main.c:12)".
    m = /^>>> referenced by .*\(([^():]+):(\d+)\)$/.exec(line)
    if (m && out.length > 0 && !out.at(-1)!.file) {
      out.at(-1)!.file = m[1]
      out.at(-1)!.line = Number(m[2])
    }
  }
  return out
}

export function annotations(diags: Diagnostic[]): string[] {
  return diags.map((d) => ghAnnotation(d.severity, d.message, {file: d.file, line: d.line, col: d.col}))
}
