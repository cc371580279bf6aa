import { Option, type Command } from 'commander';
import { UsageError } from '../../model/errors.js';
import type { CliContext } from '../context.js';
import { flagNamer } from '../flag-names.js';
import type { BrowserFlags } from '../browser-options.js';
import { collect, intIn } from '../options.js';
import { addRequestOptions, type RequestFlagValues } from './request-options.js';

export interface DoctorFlags extends RequestFlagValues, BrowserFlags {
  direct?: string;
  hop?: string[];
  runs: number;
  budgetS: number;
  strict?: boolean;
  json?: boolean;
  quiet?: boolean;
  jupyterUrl?: string;
  jupyterToken?: string;
  jupyterSamples: number;
  browserStreams: number;
}

export function registerDoctor(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('doctor')
    .summary('measure whether a stream is buffered, where, and how to fix it')
    .description(
      'Times every event of a few runs and classifies the arrivals: STREAMING, FULLY_BUFFERED, ' +
        'SIZE_THRESHOLD (~N KiB), PERIODIC_FLUSH (~T ms) or INCONCLUSIVE. Then changes one thing at a ' +
        'time (Accept-Encoding, Accept; on the guide\'s ping API larger tokens and a faster and a slower ' +
        'source; the backend without the proxy) to find the ' +
        'cause, and ends with the fixes, most likely first. It reads the text of every event: a backend ' +
        'that coalesces source tokens into one event (the field guide\'s 40 characters or 100 ms) is ' +
        'PERIODIC_FLUSH or SIZE_THRESHOLD even when each event arrives at once. With --hop NAME=URL ' +
        '(repeated, the backend first, the URL users reach last) it measures every hop in interleaved ' +
        'rounds and names the hop that holds the stream or adds the delay; --direct URL is the two-hop shorthand. ' +
        'Exit 0 STREAMING, 1 a buffering verdict, INCONCLUSIVE 0 (1 with --strict), 3 nothing measured. ' +
        'With --jupyter-url instead of a URL it checks a Jupyter Server for the Nagle delay on its kernel ' +
        'websocket and ipykernel\'s 200 ms flush interval (verdicts OK, NAGLE_DELAY, FLUSH_INTERVAL).',
    )
    .argument('[url]', 'stream endpoint (our /send_operation gets a 2 s ping: 200 tokens 10 ms apart); with --hop: none')
    .option('--runs <n>', 'baseline runs; the verdict is their majority', intIn(1, 50), 3)
    .option('--direct <url>', 'the same backend without the proxy: is the delay the path\'s or the backend\'s? (two hops: direct, then URL)')
    .option('--hop <name=url>', 'one hop of the chain, the backend first (repeatable, at least two): a table of what each hop adds', collect)
    .option('--budget-s <s>', 'start no attribution step after this many seconds', intIn(1, 3600), 50)
    .option('--strict', 'INCONCLUSIVE exits 1')
    .option('--json', 'print one JSON document on stdout and nothing else')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--jupyter-url <url>', 'check this Jupyter Server instead of a stream (exit 1 when a cause is found)')
    .option('--jupyter-token <token>', 'its token (else JUPYTER_TOKEN)')
    .option('--jupyter-samples <n>', 'back-to-back cells to time', intIn(3, 500), 20)
    .option('--browser', 'add a step: the same request read by a page in headless Chromium (queueing? the main thread?)')
    .addOption(new Option('--browser-api <api>', 'with --browser: how the page reads the stream (fetch can POST; eventsource needs GET)').choices(['fetch', 'eventsource']))
    .option('--browser-path <file>', 'with --browser: the Chromium executable (default: chromium on PATH, else /usr/bin/chromium)')
    .option('--browser-streams <n>', 'with --browser: streams the page opens at once (over HTTP/1.1 the 7th waits)', intIn(1, 64), 8);
  addRequestOptions(cmd, 60)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ notebook-stream doctor http://127.0.0.1:8080/send_operation --direct http://127.0.0.1:18600/send_operation\n' +
        '  $ notebook-stream doctor --hop origin=http://127.0.0.1:18600/send_operation --hop nginx=http://127.0.0.1:8080/send_operation --hop public=https://notebooks.example.com/send_operation\n' +
        "  $ notebook-stream doctor https://api.example.com/v1/chat/completions -H 'Authorization: Bearer …' --body-file req.json --json\n" +
        '  $ notebook-stream doctor http://127.0.0.1:18600/send_operation --browser --runs 1\n' +
        '  $ JUPYTER_TOKEN=… notebook-stream doctor --jupyter-url http://127.0.0.1:8888/',
    )
    .action(async (url: string | undefined, flags: DoctorFlags, command: Command) => {
      if (flags.jupyterUrl !== undefined) {
        if (url !== undefined) throw new UsageError('doctor takes a stream URL or --jupyter-url, not both');
        const { runJupyterDoctor } = await import('./doctor-jupyter-action.js');
        ctx.setExitCode(
          await runJupyterDoctor({
            jupyterUrl: flags.jupyterUrl,
            samples: flags.jupyterSamples,
            ...(flags.jupyterToken === undefined ? {} : { jupyterToken: flags.jupyterToken }),
            ...(flags.json === undefined ? {} : { json: flags.json }),
            ...(flags.quiet === undefined ? {} : { quiet: flags.quiet }),
            names: flagNamer(command),
          }),
        );
        return;
      }
      if (flags.hop !== undefined) {
        if (url !== undefined) throw new UsageError('doctor takes a stream URL or --hop NAME=URL (the last hop is the URL users reach), not both');
        if (flags.direct !== undefined) throw new UsageError('--direct is the two-hop shorthand of --hop: give one or the other');
        if (flags.hop.length < 2) throw new UsageError('--hop: give at least two hops, the backend first (e.g. --hop origin=URL --hop nginx=URL)');
      } else if (url === undefined) {
        throw new UsageError('doctor needs a stream URL, --hop NAME=URL (twice or more), or --jupyter-url URL for a Jupyter Server');
      }
      const { runDoctorCommand } = await import('./doctor-action.js');
      // Advice names options as this command's flags.
      flags.names = flagNamer(command);
      ctx.setExitCode(await runDoctorCommand(url, flags));
    });
}
