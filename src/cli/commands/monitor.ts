import { Option, type Command } from 'commander';
import { VERDICTS, type Verdict } from '../../model/doctor-result.js';
import type { CliContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { collect, intIn, oneOf } from '../options.js';
import { addRequestOptions, type RequestFlagValues } from './request-options.js';

export interface MonitorFlags extends RequestFlagValues {
  config?: string;
  interval: number;
  port: number;
  host: string;
  doctorEvery: number;
  expect?: Verdict[];
  gate?: string[];
  schedule: boolean;
}

export function registerMonitor(program: Command, _ctx: CliContext): void {
  const cmd = program
    .command('monitor')
    .summary('probe streams all day and serve the latencies to Prometheus (/metrics, /probe)')
    .description(
      'Probe each target on its own jittered schedule, one stream at a time (never overlapping ' +
        'itself), with bench\'s client; classify each stream as doctor does (STREAMING, PERIODIC_FLUSH, ' +
        '…) and run a short doctor every --doctor-every probes. Serves the histograms, verdicts and ' +
        'failures on /metrics, and one probe on demand on /probe?target=NAME. Prints one stdout ' +
        'line, its /metrics URL, once it listens; one JSON line per probe on stderr. SIGINT/SIGTERM ' +
        'abort the probes in flight and exit 0. Targets: URL or NAME=URL arguments, or --config FILE ' +
        '(YAML or JSON, docs/monitoring.md).',
    )
    .argument('[target...]', 'stream URL, or NAME=URL (a /send_operation URL with no body gets a 1 s ping)')
    .option('--config <file>', 'targets file, YAML or JSON (name, url, method, headers, body or operation, interval, timeout, expect, gates)')
    .addOption(new Option('--interval <duration>', 'mean time between the probes of a target (jittered ±10 %)').argParser(parseDuration).default(30_000, '30s'))
    .option('-p, --port <n>', 'port of /metrics and /probe (0 picks a free one)', intIn(0, 65535), 9464)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--doctor-every <n>', 'after every Nth probe of a target, a short doctor run (0: never)', intIn(0, 1_000_000), 10)
    .option('--expect <verdict>', `a probe fails unless its stream gets this verdict (repeatable): ${VERDICTS.join(', ')}`, (v: string, prev: Verdict[] | undefined) => collect(oneOf(VERDICTS)(v), prev) as Verdict[])
    .option('--gate <expr>', "a probe fails unless its stream keeps this gate, e.g. 'first_content_ms.p50 < 100' (repeatable)", collect)
    .option('--no-schedule', 'probe only on GET /probe?target=NAME (Prometheus schedules, as with blackbox_exporter)');
  addRequestOptions(cmd, 10).addHelpText(
    'after',
    '\nExamples:\n' +
      '  $ notebook-stream monitor http://127.0.0.1:18600/send_operation\n' +
      '  $ notebook-stream monitor prod=https://nb.example.com/send_operation --interval 15s --expect STREAMING\n' +
      '  $ notebook-stream monitor --config targets.yaml --port 9464\n' +
      "  $ curl -s 'http://127.0.0.1:9464/probe?target=prod'\n" +
      '\nThen: notebook-stream config prometheus (docs/monitoring.md).',
  );
  cmd.action(async (targets: string[], flags: MonitorFlags) => {
    const { runMonitor } = await import('./monitor-action.js');
    await runMonitor(targets, flags);
  });
}
