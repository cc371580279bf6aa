import { fieldsOf, renderFieldText, type FieldText } from './field-text.js';

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

/**
 * What a library error says besides its text: a stable `code` a script can test, structured
 * `details`, and a `hint` (what to do next) that may name options too. Codes of usage errors start
 * NBS_USAGE_, of unavailability NBS_UNAVAILABLE (docs/cli.md, "Error codes").
 */
export interface ErrorInit extends ErrorOptions {
  code?: string;
  details?: Readonly<Record<string, unknown>>;
  hint?: ErrorHint;
}

export interface ErrorHint {
  readonly code: string;
  readonly text: FieldText;
  /** What joins the hint to the text before it; `; ` unless told. */
  readonly sep?: string;
}

/**
 * An error the CLI reports as one line (no stack unless --debug) with a chosen exit code. Its
 * `text` names options by field (`field`, `fields`); `message` writes them as field names, the CLI
 * as flags (src/cli/flag-names.ts).
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly code: string;
  /** The whole message, hint included, with option references left for the reader to name. */
  readonly text: FieldText;
  /** The first option the message names, if any: the one at fault. */
  readonly field: string | undefined;
  readonly fields: readonly string[];
  readonly details: Readonly<Record<string, unknown>>;
  readonly hint: ErrorHint | undefined;
  constructor(message: string | FieldText, exitCode: ExitCode, init: ErrorInit = {}) {
    const main: FieldText = typeof message === 'string' ? [message] : message;
    const text: FieldText = init.hint === undefined ? main : [...main, init.hint.sep ?? '; ', ...init.hint.text];
    super(renderFieldText(text), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.code = init.code ?? (exitCode === ExitCode.NOTHING_MEASURED ? 'NBS_UNAVAILABLE' : exitCode === ExitCode.USAGE ? 'NBS_USAGE' : 'NBS_ERROR');
    this.text = text;
    this.fields = fieldsOf(text);
    this.field = this.fields[0];
    this.details = init.details ?? {};
    this.hint = init.hint;
  }
}

/** Bad option, value or input file (exit 2). The text names the option or file at fault. */
export class UsageError extends CliError {
  constructor(message: string | FieldText, init?: ErrorInit) {
    super(message, ExitCode.USAGE, init);
    this.name = 'UsageError';
  }
}

/** Nothing could be measured or served (exit 3): unreachable target, port in use, no Jupyter. */
export class UnavailableError extends CliError {
  constructor(message: string | FieldText, init?: ErrorInit) {
    super(message, ExitCode.NOTHING_MEASURED, init);
    this.name = 'UnavailableError';
  }
}
