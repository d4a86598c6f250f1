// Exit codes every command uses, and the error that says "the input was bad".
/** Something ran and failed (a case, a build step, a benchmark that did not complete). */
export const EXIT_FAILED = 1
/** The input was bad (a flag, a name, a file given on the command line): nothing ran. */
export const EXIT_BAD_INPUT = 2

/** Bad input from the user; commands print its one-line message and exit EXIT_BAD_INPUT. */
export class InputError extends Error {}

/**
 * Sets a command's exit code. Without --json it is this.exit(code) (which
 * throws); under --json (oclif's enableJsonFlag) that would print an error
 * object and exit 1, so the code is set instead and the command goes on to
 * return its result, which oclif prints.
 */
export function exitWith(cmd: {jsonEnabled(): boolean; exit(code: number): never}, code: number): void {
  if (!cmd.jsonEnabled()) cmd.exit(code)
  process.exitCode = code
}

/**
 * How a command ends on an error it expects (bad input, a run that failed):
 * one line on stderr, "kos COMMAND: the message's first line" (no stack, in
 * development mode too), then the exit code as exitWith sets it.
 */
export function exitWithError(cmd: {jsonEnabled(): boolean; exit(code: number): never}, command: string, message: string, code: number): void {
  process.stderr.write(`kos ${command}: ${message.split('\n')[0]}\n`)
  exitWith(cmd, code)
}
