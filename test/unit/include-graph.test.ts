// The kernel's include graph, folder by folder: no cycle between subsystem
// folders (kernel/arch, mm, fs, proc, ...), arch/ includes nothing from the
// layers above it, and user/ includes nothing from kernel/ but the user ABI
// (kernel/include/kos/). Pure TypeScript: reads the #include lines.
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

const root = path.resolve(import.meta.dirname, '../..')

function listFiles(dir: string, exts: string[]): string[] {
  const out: string[] = []
  for (const e of readdirSync(path.join(root, dir), {withFileTypes: true})) {
    const rel = `${dir}/${e.name}`
    if (e.isDirectory()) out.push(...listFiles(rel, exts))
    else if (exts.some((x) => e.name.endsWith(x))) out.push(rel)
  }
  return out
}

/** `#include "x"` and `#include <x>` targets of a C, header or assembly file. */
export function includesOf(text: string): string[] {
  return [...text.matchAll(/^[ \t]*#[ \t]*include[ \t]*["<]([^">]+)[">]/gm)].map((m) => m[1])
}

/** The kernel folder a kernel/-relative path belongs to: `arch`, `mm`, ...; `kernel` for files at the top (main.c). */
export function folderOf(kernelPath: string): string {
  const parts = kernelPath.split('/')
  return parts.length > 1 ? parts[0] : 'kernel'
}

/** Folder -> folders it includes from (through kernel/-relative includes; kos/ and compiler headers excluded). */
export function folderGraph(files: Map<string, string>): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>()
  for (const [file, text] of files) {
    const from = folderOf(file)
    if (!graph.has(from)) graph.set(from, new Map())
    for (const inc of includesOf(text)) {
      if (!files.has(inc)) continue // <stdint.h>, <kos/...> (kernel/include), a missing file: not a kernel folder
      const to = folderOf(inc)
      if (to === from || to === 'include') continue
      const edges = graph.get(from)!
      edges.set(to, [...(edges.get(to) ?? []), `${file} -> ${inc}`])
    }
  }
  return graph
}

/** Every cycle of strongly connected folders (Tarjan), each as its folders in order of discovery. */
export function folderCycles(graph: Map<string, Map<string, string[]>>): string[][] {
  let index = 0
  const idx = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  const visit = (v: string): void => {
    idx.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        scc.push(w)
      } while (w !== v)
      if (scc.length > 1) out.push(scc.reverse())
    }
  }
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v)
  return out
}

function kernelSources(): Map<string, string> {
  const files = new Map<string, string>()
  for (const f of listFiles('kernel', ['.c', '.h', '.S'])) files.set(f.slice('kernel/'.length), readFileSync(path.join(root, f), 'utf8'))
  return files
}

describe('include graph checker', () => {
  it('finds a cycle between folders, names the includes that make it, and ignores includes inside a folder', () => {
    const g = folderGraph(
      new Map([
        ['a/x.c', '#include "b/y.h"\n#include "a/z.h"\n#include <stdint.h>\n'],
        ['a/z.h', ''],
        ['b/y.h', ' #  include "c/w.h"\n'],
        ['c/w.h', '#include "a/z.h"\n#include <kos/errno.h>\n'],
        ['d/v.c', '#include "a/z.h"\n'],
        ['include/kos/errno.h', ''],
      ]),
    )
    expect(folderCycles(g)).toEqual([['a', 'b', 'c']])
    expect(g.get('c')!.get('a')).toEqual(['c/w.h -> a/z.h'])
    expect(g.get('a')!.has('a')).toBe(false)
    expect(folderCycles(folderGraph(new Map([['a/x.c', '#include "b/y.h"\n'], ['b/y.h', '']])))).toEqual([])
  })
})

describe('kernel include graph', () => {
  const graph = folderGraph(kernelSources())

  it('has no include cycle between kernel folders', () => {
    const cycles = folderCycles(graph).map((scc) => {
      const inside = new Set(scc)
      const edges = scc.flatMap((f) => [...(graph.get(f) ?? new Map()).entries()].filter(([to]) => inside.has(to)).flatMap(([, via]) => via))
      return `${scc.join(' <-> ')}: ${edges.join(', ')}`
    })
    expect(cycles).toEqual([])
  })

  it('arch/ includes nothing from net/, fs/, proc/ or sys/', () => {
    const arch = graph.get('arch') ?? new Map<string, string[]>()
    expect(['net', 'fs', 'proc', 'sys'].flatMap((f) => arch.get(f) ?? [])).toEqual([])
  })

  it('user/ includes from kernel/ only the user ABI (kernel/include/kos)', () => {
    const kernelHeaders = new Set(kernelSources().keys())
    const bad: string[] = []
    for (const f of listFiles('user', ['.c', '.h', '.S'])) {
      for (const inc of includesOf(readFileSync(path.join(root, f), 'utf8'))) {
        // A path into kernel/ (../../kernel/...), or a kernel-internal header by its kernel/-relative name.
        if (inc.includes('kernel/') || kernelHeaders.has(inc)) bad.push(`${f} -> ${inc}`)
      }
    }
    expect(bad).toEqual([])
  })
})
