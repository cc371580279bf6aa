import { InvalidArgumentError, Option, type Command } from 'commander';
import { ExitCode } from '../../model/errors.js';
import type { CliContext } from '../context.js';
import { JUPYTER_TUNINGS } from '../../jupyter/tuning.js';
import { flagNamer } from '../flag-names.js';
import type { BrowserFlags } from '../browser-options.js';
import { collect, intIn, numberIn } from '../options.js';
import { redactArgs } from '../redact-args.js';
import { DEFAULT_WORKLOAD, type WorkloadOptions } from '../../probe/compare-workload.js';
import type { RequestFlags } from '../../probe/build-request-spec.js';
import { addRequestOptions } from './request-options.js';

/** Flags as commander hands them to the action. */
export interface CompareFlags extends WorkloadOptions, RequestFlags, BrowserFlags {
  flushPolicies: string[];
  rounds: number;
  requests: number;
  wide?: boolean;
  /** execute: the Jupyter token, handed to the serve child in its environment. */
  jupyterToken?: string;
  concurrency: number;
  warmup: number;
  source: string;
  label?: string[];
  select?: string[];
  keepTimelines: number;
  lang?: 'en' | 'zh';
  json?: boolean;
  out: string | false | undefined;
  markdown?: string;
  html?: string;
  quiet?: boolean;
}

function policyList(value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new InvalidArgumentError('expected policy names, comma-separated.');
  return list;
}

export function registerCompare(program: Command, ctx: CliContext): void {
  const compare = program
    .command('compare')
    .summary("the guide's before/after table, measured, with its noise")
    .description(
      'With no arguments: start the embedded server (one child process, --allow-policy-override) and run ' +
        'the same workload against each flush policy, in interleaved rounds so machine noise hits all ' +
        'alike; read the server\'s CPU from /metrics around each batch. With URLs: compare endpoints (e.g. ' +
        'direct vs behind nginx). With report files: compare saved runs. A change is called significant ' +
        'only when the ranges of the per-round values do not overlap.',
    )
    .argument('[inputs...]', 'URLs to compare, or report files (bench --out, compare --out)')
    .addOption(
      new Option('--flush-policies <list>', 'with no inputs: the policies to compare, comma-separated')
        .argParser(policyList)
        .default(['guide-before', 'guide-after', 'adaptive'], 'guide-before,guide-after,adaptive'),
    )
    .option('--rounds <n>', 'interleaved rounds (the order rotates each round)', intIn(1, 10_000), 5)
    .option('-n, --requests <n>', 'streams per configuration per round', intIn(1, 1_000_000), 4)
    .option('-c, --concurrency <n>', 'streams in flight at once within a batch (a connection each)', intIn(1, 10_000), 1)
    .option('--warmup <n>', 'streams per connection before round 1, left out of the statistics', intIn(0, 10_000), 1)
    .option('--source <name>', 'workload: ping, replay, chat or execute (a Jupyter cell)', 'ping')
    .option('--count <n>', 'ping: tokens per stream', intIn(1, 1_000_000), DEFAULT_WORKLOAD.count)
    .option('--interval-ms <ms>', 'ping: time between tokens', intIn(0, 60_000), DEFAULT_WORKLOAD.intervalMs)
    .option('--first-delay-ms <ms>', 'ping: time before the first token', intIn(0, 600_000), DEFAULT_WORKLOAD.firstDelayMs)
    .option('--fixture <name>', 'replay: recording under fixtures/', DEFAULT_WORKLOAD.fixture)
    .option('--speed <x>', 'replay: 1 = as recorded, 0 = no waiting', numberIn(0, 1000), DEFAULT_WORKLOAD.speed)
    .option('--model <name>', "chat: the model (default: the replay upstream's synthetic profile with ping's rhythm)")
    .option('--llm-base-url <url>', 'chat: OpenAI-compatible API base (default: start the replay upstream)')
    .option('--llm-api-key-file <file>', 'chat: file holding the API key for --llm-base-url')
    .option('--jupyter-url <url>', 'execute: an existing Jupyter Server (default: serve starts one)')
    .option('--jupyter-token <token>', "execute: the token of --jupyter-url's server (else JUPYTER_TOKEN); it reaches serve's environment, never its command line")
    .addOption(new Option('--jupyter-tuning <t>', 'execute: fixed (TCP_NODELAY, 10 ms flush) or stock').choices(JUPYTER_TUNINGS))
    .option('--label <name>', 'column name for the URL or report configuration at the same position (repeatable)', collect)
    .option('--select <name>', 'with report files: only these configurations (repeatable)', collect);
  // With URLs, the request flags are bench's (request-options.ts, one definition); the body
  // defaults to the workload for URLs ending in /send_operation.
  addRequestOptions(compare, 300)
    .option('--keep-timelines <n>', 'per-event timelines to keep beyond the typical and the worst stream', intIn(0, 100_000), 0)
    .addOption(new Option('--lang <lang>', 'row and column names (default: zh when LANG/LC_ALL starts with zh)').choices(['en', 'zh']))
    .option('--json', 'print the report (JSON) on stdout and nothing else')
    .option('--out <file>', 'write the report here (default for runs: reports/compare-<timestamp>.json)')
    .option('--no-out', 'write no report file')
    .option('--markdown <file>', 'also write the table as Markdown')
    .option('--wide', 'every word in the table: long row names with metric ids, worded changes (default: fit the terminal, 100 columns when unknown)')
    .option('--html <file>', 'also write the report as one self-contained HTML page (table and plots)')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--browser', "runs: each batch also read by a page in headless Chromium (the table gains the page's rows)")
    .addOption(new Option('--browser-api <api>', 'with --browser: how the page reads the stream (fetch can POST; eventsource needs GET)').choices(['fetch', 'eventsource']))
    .option('--browser-path <file>', 'with --browser: the Chromium executable (default: chromium on PATH, else /usr/bin/chromium)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream compare                                   # guide-before, guide-after, adaptive\n' +
        '  $ notebook-stream compare --flush-policies guide-before,adaptive --rounds 10 --lang zh\n' +
        '  $ notebook-stream compare --source replay --fixture llm-answer\n' +
        '  $ notebook-stream compare http://127.0.0.1:18600/send_operation \\\n' +
        '      http://127.0.0.1:8080/send_operation --label direct --label nginx\n' +
        '  $ notebook-stream compare http://127.0.0.1:18600/send_operation ws://127.0.0.1:18600/ws --label SSE --label WebSocket\n' +
        '  $ notebook-stream compare --flush-policies guide-before,adaptive --rounds 2 --browser  # where the user sits\n' +
        '  $ notebook-stream compare before.json after.json --markdown table.md',
    )
    .action(async (inputs: string[], flags: CompareFlags, command: Command) => {
      const { runCompareCommand } = await import('./compare-action.js');
      // Messages the records keep name options as this command's flags.
      flags.names = flagNamer(command);
      // Credentials in -H never reach the report's args.
      const code = await runCompareCommand(inputs, flags, redactArgs(ctx.args));
      ctx.setExitCode(code === 3 ? ExitCode.NOTHING_MEASURED : code === ExitCode.INTERRUPTED ? ExitCode.INTERRUPTED : ExitCode.OK);
    });
}
