import { Option, type Command } from 'commander';
import { ExitCode, UsageError } from '../../model/errors.js';
import { FLUSH_POLICY_NAMES } from '../../model/flush-presets.js';
import { DEFINITION_TOOLS } from '../../model/report.js';
import type { CliContext } from '../context.js';
import { ARRIVALS, type Arrival } from '../../probe/arrival-schedule.js';
import { flagNamer } from '../flag-names.js';
import { addOpenAiOptions, type OpenAiFlags } from '../openai-options.js';
import { intIn, numberIn, oneOf, collect } from '../options.js';
import { parseDuration } from '../duration.js';
import { redactArgs } from '../redact-args.js';
import { addRequestOptions } from './request-options.js';
import type { RequestFlags } from '../../probe/build-request-spec.js';
import type { BrowserFlags } from '../browser-options.js';

/** Flags as commander hands them to the action. */
interface BenchFlags extends OpenAiFlags, RequestFlags, BrowserFlags {
  requests: number;
  warmup: number;
  concurrency: number;
  duration?: number;
  rate?: number;
  arrival: Arrival;
  maxInFlight?: number;
  connections?: number;
  flushPolicy: string;
  keepTimelines: number;
  json?: boolean;
  out: string | false | undefined;
  html?: string;
  name?: string;
  quiet?: boolean;
  threshold?: string[];
  slo?: string;
  strictStreams?: boolean;
  heartbeatMs?: number;
  definitions?: (typeof DEFINITION_TOOLS)[number];
  trace?: string;
}

export function registerBench(program: Command, ctx: CliContext): void {
  const bench = program
    .command('bench')
    .summary('time every event of a stream: first content, gaps, reads, lag (HDR histograms)')
    .description(
      'Send requests and time every event of each response stream: one after another, -c N at once ' +
        '(closed model), or --rate R a second whatever the server does (open model: latencies count ' +
        'from the intended start, service_* from the actual one). ' +
        'With no URL, start the embedded server in a child process on a free port and measure it.',
    )
    .argument('[url]', 'stream endpoint (a URL ending in /send_operation gets the guide\'s ping operation)')
    .addOption(new Option('-n, --requests <n>', 'measured requests in all').argParser(intIn(1, 100_000_000)).default(20, '20, unless -d'))
    .option('-d, --duration <time>', 'run for this long instead of -n: 30s, 2m, 1h, 500ms', parseDuration)
    .option('-c, --concurrency <n>', 'closed model: streams at once, each sending its next when it ends', intIn(1, 1_000_000), 1)
    .option('--rate <r>', 'open model: requests a second, on schedule whatever the responses do', numberIn(0.001, 10_000_000))
    .addOption(new Option('--arrival <process>', 'open model: evenly spaced, or a Poisson process').choices(ARRIVALS).default('constant'))
    .option('--max-in-flight <n>', 'open model: a request due while this many are in flight is dropped and counted (default 10 × rate)', intIn(1, 10_000_000))
    .option('--connections <n>', 'socket cap of the connection pool (default -c, or --max-in-flight)', intIn(1, 10_000_000))
    .option('--warmup <n>', 'requests before the measured ones, left out of the statistics; the first is shown apart as the cold start (0: measure it too)', intIn(0, 1_000_000), 1);
  // The request flags are check-headers' and doctor's too: one definition (request-options.ts).
  addRequestOptions(bench, 300)
    .option('--flush-policy <policy>', 'with no URL: the embedded server\'s flush policy', oneOf(FLUSH_POLICY_NAMES.filter((p) => p !== 'custom')), 'adaptive')
    .option('--keep-timelines <n>', 'per-event timelines to keep beyond the typical and the worst stream', intIn(0, 100_000), 0)
    .option('--json', 'print the report (JSON) on stdout and nothing else')
    .option('--out <file>', 'write the report here (default reports/bench-<timestamp>.json)')
    .option('--no-out', 'write no report file')
    .option('--html <file>', 'also write the report as one self-contained HTML page (plots)')
    .option('--name <name>', 'configuration name in the report (default: bench, the flush policy, or the --openai model)')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--threshold <expr>', "gate in one step, as `gate --threshold`: exit 1 unless it holds (repeatable)", collect)
    .option('--slo <objectives>', "goodput: the share of requests meeting every objective, each on its own figures: 'ttft_ms<500,itl_ms.p99<80'")
    .option('--strict-streams', 'a stream cut before [DONE]/done, with an error event or body, or without heartbeats fails with that kind (default: counted)')
    .option('--heartbeat-ms <ms>', "the source's heartbeat interval: a longer silence (×1.5) with no heartbeat is heartbeat_missing", intIn(1, 3_600_000))
    .addOption(new Option('--definitions <tool>', "also compute the LLM figures under this tool's names and formulas").choices([...DEFINITION_TOOLS]))
    .option('--trace <file>', 'write every event of every request as JSON lines (request id, arrival µs, bytes, kind, tokens, stamps)')
    .option('--browser', 'also run the same workload in headless Chromium (system Chromium, via playwright-core): what the page sees')
    .addOption(new Option('--browser-api <api>', 'with --browser: how the page reads the stream (fetch can POST; eventsource needs GET)').choices(['fetch', 'eventsource']))
    .option('--browser-path <file>', 'with --browser: the Chromium executable (default: chromium on PATH, else /usr/bin/chromium)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream bench                                   # embedded server, adaptive policy\n' +
        '  $ notebook-stream bench --flush-policy guide-before -n 50\n' +
        '  $ notebook-stream bench -c 100 -d 30s                     # closed model, 100 streams at once\n' +
        '  $ notebook-stream bench --rate 50 --arrival poisson -d 2m  # open model, no coordinated omission\n' +
        '  $ notebook-stream bench http://127.0.0.1:18600/send_operation --json\n' +
        "  $ notebook-stream bench https://api.example.com/v1/chat/completions -H 'Authorization: Bearer …' --body-file req.json\n" +
        "  $ notebook-stream bench --openai http://127.0.0.1:18700/v1 --model 'synthetic?ttft_ms=200&tps=50' -n 10\n" +
        "  $ notebook-stream bench --openai http://127.0.0.1:18700/v1 --model 'synthetic?reasoning=6&tokens_per_chunk=3' \\\n" +
        "      --slo 'ttft_ms<500,itl_ms.p99<80' --definitions vllm --trace run.jsonl --strict-streams\n" +
        '  $ notebook-stream bench --browser -n 10                    # the page in headless Chromium next to the wire\n' +
        '  $ notebook-stream bench --browser -c 8 -n 8 --warmup 0     # over HTTP/1.1 two page streams wait for a connection',
    )
    .action(async (url: string | undefined, flags: BenchFlags, command: Command) => {
      if ((url !== undefined || flags.openai !== undefined) && command.getOptionValueSource('flushPolicy') === 'cli') {
        throw new UsageError('--flush-policy: only without a URL (it picks the embedded server\'s policy)');
      }
      const given = (flag: string) => command.getOptionValueSource(flag) === 'cli';
      if (given('requests') && flags.duration !== undefined) throw new UsageError('-n/--requests and -d/--duration: give one of them, not both');
      if (flags.rate !== undefined && given('concurrency')) {
        throw new UsageError('-c/--concurrency and --rate: -c is the closed model, --rate the open one; give one of them');
      }
      if (flags.rate === undefined && (given('arrival') || flags.maxInFlight !== undefined)) {
        throw new UsageError(`${given('arrival') ? '--arrival' : '--max-in-flight'}: only with --rate (the open model)`);
      }
      if (flags.browser === true && flags.openai !== undefined) throw new UsageError('--browser and --openai: the page probe runs against a stream URL, not the OpenAI client');
      // Messages the records keep name options as this command's flags.
      flags.names = flagNamer(command);
      // Lazy: --help and --version never load undici.
      const { runBenchCommand } = await import('./bench-action.js');
      const code = await runBenchCommand(url, flags, redactArgs(((command.parent as { rawArgs?: string[] } | null)?.rawArgs ?? []).slice(2)));
      ctx.setExitCode(code === 3 ? ExitCode.NOTHING_MEASURED : code === 1 ? ExitCode.VERDICT_FAILED : code === ExitCode.INTERRUPTED ? ExitCode.INTERRUPTED : ExitCode.OK);
    });
  addOpenAiOptions(bench);
}

export type { BenchFlags };
