/**
 * Exit codes and error classes shared by every command (docs/cli.md, "Exit codes").
 * The CLI maps a thrown error to its exit code; library code throws, it never exits.
 */
export const ExitCode = {
  /** Ran, and every verdict held. */
  OK: 0,
  /** Ran, and a verdict failed (a gate, a buffering verdict, an error-level header rule). */
  VERDICT_FAILED: 1,
  /** Usage or bad input: unknown flag, bad value, unreadable or invalid file. */
  USAGE: 2,
  /** Nothing could be measured or served: unreachable target, port in use. */
  NOTHING_MEASURED: 3,
  /** A bug. */
  INTERNAL: 4,
  /** Interrupted (Ctrl-C, SIGINT) after reporting what was measured: 128 + SIGINT, as shells do. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line (no stack unless --debug) with a chosen exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Bad flag, value or input file (exit 2). The message names the flag or file at fault. */
export class UsageError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.USAGE, options);
    this.name = 'UsageError';
  }
}

/** Nothing could be measured or served (exit 3): unreachable target, port in use, no Jupyter. */
export class UnavailableError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ExitCode.NOTHING_MEASURED, options);
    this.name = 'UnavailableError';
  }
}
