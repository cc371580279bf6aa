
import { buildReport } from '../report/build-report.js';
import type { Report } from '../report/report.js';
import { buildRequestSpec, type RequestFlags } from './build-request-spec.js';
import { buildOpenAiSpec, type OpenAiOptions } from './openai-request.js';
import { runBench, type OnRecord } from './run-bench.js';
import { startServeChild, type ServeChild } from './serve-child.js';
import { summarizeRun } from './summarize-run.js';

export interface BenchOptions extends RequestFlags {
  /** Target URL; when absent the embedded server is started in a child process. */
  url?: string;
  requests: number;
  warmup: number;
  keepTimelines: number;
  flushPolicy: string;
  name?: string;
  /** The command line, recorded in the report. */
  args: readonly string[];
  /** `--openai`: streaming chat completions to this API base instead of `url`. */
  openai?: OpenAiOptions;
}

export interface BenchOutcome {
  report: Report;
  /** True when no request succeeded: the CLI exits 3 after writing the report. */
  nothingMeasured: boolean;
  /** One line saying why, when nothing was measured. */
  reason: string;
  /** True when the run was interrupted before all requests ran. */
  interrupted: boolean;
}

/** `notebook-stream bench [URL]`: measure, summarise, wrap into a report. Prints nothing. */
export async function bench(o: BenchOptions, onRecord?: OnRecord, signal?: AbortSignal): Promise<BenchOutcome> {
  let server: ServeChild | null = null;
  let url = o.url;
  if (url === undefined && o.openai === undefined) {
    server = await startServeChild(o.flushPolicy, undefined, o.http2 === true ? ['--http2'] : []);
    url = `${server.url.replace(/\/$/, '')}/send_operation`;
  }
  try {
    const openai = o.openai !== undefined ? await buildOpenAiSpec(o.openai, o) : null;
    const spec = openai?.spec ?? (await buildRequestSpec(url ?? '', o));
    const run = await runBench(spec, { requests: o.requests, warmup: o.warmup }, onRecord, signal);
    const name = o.name ?? openai?.model ?? (server !== null ? o.flushPolicy : 'bench');
    const configuration = summarizeRun(
      name,
      {
        url: spec.url.href,
        method: spec.method,
        http_version: spec.http2 ? '2' : '1.1',
        keep_alive: spec.keepAlive,
        format: spec.format,
        parsed_as: [],
        content_type: null,
        content_encoding: null,
        accept_encoding: spec.headers['accept-encoding'] ?? null,
        embedded_server: server !== null ? { flush_policy: o.flushPolicy } : null,
      },
      run,
      o.keepTimelines,
    );
    const report = buildReport('bench', o.args, [configuration]);
    const nothingMeasured = configuration.requests.ok === 0;
    const kinds = Object.entries(configuration.errors).map(([k, n]) => `${k} ${n}`).join(', ');
    const reason = nothingMeasured ? `nothing measured: all ${configuration.requests.measured} requests to ${spec.url.href} failed (${kinds})` : '';
    return { report, nothingMeasured, reason, interrupted: signal?.aborted === true };
  } finally {
    await server?.stop();
  }
}

