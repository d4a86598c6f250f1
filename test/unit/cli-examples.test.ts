// Every example in every command's --help parses with that command's flags, and
// every case, benchmark, workload, profile or path it names exists: the help
// never shows a command that would be refused.
import {Flags, Parser} from '@oclif/core'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {loadSuites} from '../../src/suites/load.js'

const root = path.resolve(import.meta.dirname, '../..')
const commandsDir = path.join(root, 'src/commands')

interface CommandClass {
  examples?: string[]
  flags?: Record<string, unknown>
  args?: Record<string, unknown>
  strict?: boolean
  /** oclif adds --json to these commands when it parses them. */
  enableJsonFlag?: boolean
}

/** Command ids ("bench wasm") and their classes, from src/commands (index.ts is the topic's own command). */
async function commands(): Promise<Array<{id: string; cls: CommandClass}>> {
  const out: Array<{id: string; cls: CommandClass}> = []
  const walk = async (dir: string, prefix: string[]) => {
    for (const ent of readdirSync(dir, {withFileTypes: true})) {
      if (ent.isDirectory()) await walk(path.join(dir, ent.name), [...prefix, ent.name])
      else if (ent.name.endsWith('.ts')) {
        const name = ent.name.replace(/\.ts$/, '')
        const id = [...prefix, ...(name === 'index' ? [] : [name])].join(' ')
        out.push({id, cls: (await import(path.join(dir, ent.name))).default as CommandClass})
      }
    }
  }
  await walk(commandsDir, [])
  return out.sort((a, b) => a.id.localeCompare(b.id))
}

/** Splits an example line like a shell would (double quotes only, which is what the examples use). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2])
}

describe('command help examples', async () => {
  const all = await commands()
  const cases = new Set((await loadSuites(root, 'test-suites')).map((c) => c.id))
  const fixtureCases = new Set((await loadSuites(root, 'test/fixtures/suites')).map((c) => c.id))
  const workloads = readdirSync(path.join(root, 'bench/wasm')).filter((f) => f.endsWith('.wat')).map((f) => f.replace(/\.wat$/, ''))

  it('every command has examples', () => {
    expect(all.filter((c) => !(c.cls.examples?.length)).map((c) => c.id)).toEqual([])
  })

  // The README's command table is the command list people read: one row per command, none for a command that is gone.
  it('the README lists every command and no other', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8')
    const table = readme.split('\n| command | what it does |\n')[1].split('\n\n')[0]
    const listed = new Set([...table.matchAll(/^\| `kos ([a-z]+(?: [a-z]+)?)(?=[ `])/gm)].map((m) => m[1]).map((id) => (all.some((c) => c.id === id) ? id : id.split(' ')[0])))
    expect([...listed].sort()).toEqual(all.map((c) => c.id).sort())
  })

  for (const {id, cls} of all) {
    // Lines that do not start with kos show what to do with a command's output (dd an image): not parsed here.
    for (const example of (cls.examples ?? []).filter((e) => e.startsWith('<%= config.bin %>'))) {
      it(`${id}: ${example.replace('<%= config.bin %>', 'kos')}`, async () => {
        const argv = words(example.replace('<%= config.bin %>', '').trim())
        expect(argv.slice(0, id.split(' ').length).join(' ')).toBe(id)
        const rest = argv.slice(id.split(' ').length)
        const all = {...cls.flags, ...(cls.enableJsonFlag ? {json: Flags.boolean()} : {})}
        const {flags} = await Parser.parse(rest, {flags: all as never, args: cls.args as never, strict: cls.strict ?? true})
        const f = flags as Record<string, unknown>
        const list = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v : [v]) as string[]
        const suiteCases = f.suites === 'test/fixtures/suites' ? fixtureCases : cases
        for (const c of list(f.case)) {
          const known = id === 'bench' ? suiteCases.has(c) || suiteCases.has(`bench_${c}`) : suiteCases.has(c)
          expect(known, `case "${c}"`).toBe(true)
        }
        for (const w of list(f.workload)) expect(workloads, `workload "${w}"`).toContain(w)
        for (const p of list(f.suites)) expect(existsSync(path.join(root, p)), p).toBe(true)
      })
    }
  }
})
