// Minimal logging shared by the commands: plain lines, CI-friendly.
export const isTTY = Boolean(process.stdout.isTTY) && process.env.CI !== 'true'
export const isGitHubActions = process.env.GITHUB_ACTIONS === 'true'

export function info(msg: string): void {
  process.stdout.write(msg + '\n')
}

export function warn(msg: string): void {
  process.stderr.write(`warning: ${msg}\n`)
}

/** A GitHub Actions workflow command; values are escaped as the runner expects. */
export function ghAnnotation(level: 'error' | 'warning', msg: string, loc?: {file?: string; line?: number; col?: number}): string {
  const esc = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
  const props: string[] = []
  if (loc?.file) props.push(`file=${loc.file.replaceAll(',', '%2C').replaceAll(':', '%3A')}`)
  if (loc?.line) props.push(`line=${loc.line}`)
  if (loc?.col) props.push(`col=${loc.col}`)
  return `::${level}${props.length ? ' ' + props.join(',') : ''}::${esc(msg)}`
}
