// Running external tools with captured output; never throws on a non-zero exit.
import {execa} from 'execa'
import {accessSync, constants} from 'node:fs'
import path from 'node:path'

export interface ToolResult {
  code: number
  stdout: string
  stderr: string
  /** stdout and stderr interleaved, as a user would have seen them. */
  all: string
}

export async function runTool(
  file: string,
  args: string[],
  opts: {cwd?: string; input?: string; timeoutMs?: number; env?: Record<string, string>} = {},
): Promise<ToolResult> {
  const r = await execa(file, args, {
    cwd: opts.cwd,
    input: opts.input,
    timeout: opts.timeoutMs,
    env: opts.env,
    reject: false,
    all: true,
    stripFinalNewline: false,
  })
  // A missing binary or a kill by timeout has no exitCode: report it as failure.
  const code = typeof r.exitCode === 'number' ? r.exitCode : 127
  const spawnError = r.failed && r.exitCode === undefined ? `${r.shortMessage ?? 'failed to start'}\n` : ''
  return {code, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') + spawnError, all: String(r.all ?? '') + spawnError}
}

/** Resolves a program name through PATH like a shell would; undefined when absent. */
export function which(name: string, envPath: string = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Quotes an argv for display so it can be pasted into a shell. */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ')
}
