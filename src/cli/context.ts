import type { ExitCode } from '../model/errors.js';

/** What a command's action may tell the CLI shell besides throwing. */
export interface CliContext {
  /** The exit code the process ends with when the action returns (default 0). */
  setExitCode(code: ExitCode): void;
  /** True with --debug, NOTEBOOK_STREAM_DEBUG=1 or NBS_DEBUG=1. */
  readonly debug: boolean;
  /**
   * The command line as the user typed it, without `node` and the script (what a report's `args`
   * records): kept from main()'s argv, so no command reads commander's internals for it.
   */
  readonly args: readonly string[];
}
