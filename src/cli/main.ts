import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from '../model/errors.js';
import { packageVersion } from '../version.js';
import { configureColor } from './color.js';
import { flagNamer, renderForCli, type FlagNamer } from './flag-names.js';
import type { CliContext } from './context.js';
import { registerBench } from './commands/bench.js';
import { registerCheckHeaders } from './commands/check-headers.js';
import { registerCompare } from './commands/compare.js';
import { registerConfig } from './commands/config.js';
import { registerDoctor } from './commands/doctor.js';
import { registerGate } from './commands/gate.js';
import { registerMerge } from './commands/merge.js';
import { registerMonitor } from './commands/monitor.js';
import { registerServe } from './commands/serve.js';
import { registerUpstream } from './commands/upstream.js';
import { registerReport } from './commands/report.js';

/** Each command file registers itself; its action lazy-imports the library it drives. */
const COMMANDS: ReadonlyArray<(program: Command, ctx: CliContext) => void> = [
  registerServe,
  registerBench,
  registerConfig,
  registerUpstream,
  registerCheckHeaders,
  registerDoctor,
  registerCompare,
  registerGate,
  registerReport,
  registerMerge,
  registerMonitor,
];

export function isDebug(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const on = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v !== 'false';
  return argv.includes('--debug') || on(env['NOTEBOOK_STREAM_DEBUG']) || on(env['NBS_DEBUG']);
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('notebook-stream');
  program
    .description(
      'Find what delays a notebook or LLM stream, and serve one that is not delayed. ' +
        'An embedded streaming server with the field guide\'s flush policies, and probes that ' +
        'time every event of a stream.',
    )
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .option('--debug', 'print stack traces of internal errors (also NOTEBOOK_STREAM_DEBUG=1)')
    .option('--no-color', 'no colour in output (also NO_COLOR=1; FORCE_COLOR=1 forces it)')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 a verdict failed, 2 usage or bad input, 3 nothing measured or served,\n' +
        '4 internal error.\n\nExamples:\n' +
        '  $ notebook-stream serve --port 0\n' +
        '  $ notebook-stream serve --flush-policy guide-before\n' +
        '  $ notebook-stream serve --help',
    );
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/** Runs the CLI and resolves to the process exit code. Never calls process.exit itself. */
export async function main(argv: readonly string[]): Promise<number> {
  const debug = isDebug(argv);
  configureColor(argv);
  let exitCode: ExitCode = ExitCode.OK;
  const ctx: CliContext = {
    debug,
    setExitCode(code) {
      exitCode = code;
    },
  };
  let program: Command | undefined;
  let running: Command | undefined;
  try {
    program = buildProgram(ctx);
    program.hook('preAction', (_root, action) => {
      running = action;
    });
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return ExitCode.USAGE;
    }
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    return reportError(err, debug, program === undefined ? (r) => r.field : flagNamer(running ?? program));
  }
}

function reportError(err: unknown, debug: boolean, namer: FlagNamer): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (it names the unknown flag or command).
    // --help and --version exit 0; help shown because a subcommand is missing is a usage error.
    return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  }
  if (err instanceof CliError) {
    // The library names options by field; the user typed flags (src/cli/flag-names.ts).
    process.stderr.write(`notebook-stream: ${renderForCli(err.text, namer)}\n`);
    if (debug && err.stack !== undefined) process.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`notebook-stream: internal error: ${message}\n`);
  if (debug) {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  } else {
    process.stderr.write('rerun with --debug (or NOTEBOOK_STREAM_DEBUG=1) for the stack trace\n');
  }
  return ExitCode.INTERNAL;
}
