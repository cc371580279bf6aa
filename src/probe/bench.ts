import { field, ft } from '../model/field-text.js';
import { buildReport } from '../model/build-report.js';
import { reportEnvironment } from './machine-facts.js';
import type { DefinitionTool, Report } from '../model/report.js';
import type { StreamRecord } from '../model/record.js';
import type { Slo } from '../model/slo.js';
import type { Arrival } from './arrival-schedule.js';
import { buildRequestSpec, type RequestFlags } from './build-request-spec.js';
import { LoadRunner, type LoadPlan } from './load-runner.js';
import { LoadSummary } from './load-summary.js';
import { reportTarget } from './request-spec.js';
import { checkOpenFileLimit } from './open-file-limit.js';
import { buildOpenAiSpec, type OpenAiOptions } from './openai-request.js';
import { startServeChild, type ServeChild } from './serve-child.js';
import { BrowserTwin, browserApiFor, requireChromium, type BrowserOptions } from './browser-twin.js';
import { UsageError } from '../model/errors.js';

export interface BenchOptions extends RequestFlags {
  /** Target URL; when absent the embedded server is started in a child process. */
  url?: string;
  /** Measured requests (`-n`), or null to run for `durationMs` (`-d`). */
  requests: number | null;
  durationMs?: number | null;
  warmup: number;
  /** Closed model: streams at once (`-c`, default 1: one request after another). */
  concurrency?: number;
  /** Open model when set: requests a second (`--rate`), their arrival, the in-flight cap. */
  rate?: number | null;
  arrival?: Arrival;
  maxInFlight?: number | null;
  /** The Agent's socket cap (default: `concurrency`, or the in-flight cap in the open model). */
  connections?: number | null;
  keepTimelines: number;
  flushPolicy: string;
  name?: string;
  /** The command line, recorded in the report. */
  args: readonly string[];
  /** `--openai`: streaming chat completions to this API base instead of `url`. */
  openai?: OpenAiOptions;
  /** Goodput against these objectives (docs/metrics.md, "Goodput"). */
  slo?: Slo;
  /** One tool's view of the LLM streams (docs/metrics.md, "Every tool's definitions"). */
  definitions?: DefinitionTool;
  /** Streams with an integrity problem fail with its kind instead of being counted. */
  strictStreams?: boolean;
  /** The source's heartbeat interval, ms, when known: enables `heartbeat_missing`. */
  heartbeatMs?: number | null;
  /** Every record as it finishes, warmup included, before the summary drops it (the raw trace listens). */
  onRecord?: (record: StreamRecord) => void;
  /** `--browser`: the same workload in headless Chromium alongside (browser-twin.ts). */
  browser?: BrowserOptions;
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

/** The load plan the options describe; throws a usage error (exit 2) when there are not enough file descriptors. */
export function loadPlan(o: BenchOptions): LoadPlan {
  const rate = o.rate ?? null;
  const concurrency = o.concurrency ?? 1;
  const maxInFlight = o.maxInFlight ?? (rate !== null ? Math.max(1, Math.ceil(10 * rate)) : concurrency);
  const connections = o.connections ?? (rate !== null ? maxInFlight : concurrency);
  checkOpenFileLimit(connections, o.connections != null ? field('connections') : rate !== null ? field('maxInFlight') : field('concurrency', 'both'));
  return {
    model: rate !== null ? 'open' : 'closed',
    concurrency,
    rate: rate ?? 0,
    arrival: o.arrival ?? 'constant',
    requests: o.requests,
    durationMs: o.durationMs ?? null,
    warmup: o.warmup,
    maxInFlight,
    connections,
  };
}

/**
 * `notebook-stream bench [URL]`: measure, summarise, wrap into a report. Prints nothing: `observe`
 * gets the runner before it starts, to listen to its start/tick/done events.
 */
export async function bench(o: BenchOptions, observe?: (runner: LoadRunner) => void, signal?: AbortSignal): Promise<BenchOutcome> {
  const plan = loadPlan(o);
  let chromium: string | null = null;
  if (o.browser !== undefined) {
    if (plan.model === 'open') throw new UsageError(ft`${field('browser')}: the page runs the closed model only (${field('concurrency')} N), not ${field('rate')}`);
    chromium = requireChromium(o.browser);
  }
  let server: ServeChild | null = null;
  let twin: BrowserTwin | null = null;
  let url = o.url;
  if (url === undefined && o.openai === undefined) {
    server = await startServeChild(o.flushPolicy, undefined, o.http2 === true ? ['--http2'] : []);
    url = `${server.url.replace(/\/$/, '')}/send_operation`;
  }
  try {
    const openai = o.openai !== undefined ? await buildOpenAiSpec(o.openai, o) : null;
    const spec = openai?.spec ?? (await buildRequestSpec(url ?? '', o));
    spec.streamChecks = { strict: o.strictStreams === true, heartbeatMs: o.heartbeatMs ?? null };
    const name = o.name ?? openai?.model ?? (server !== null ? o.flushPolicy : 'bench');
    const summary = new LoadSummary(
      name,
      reportTarget(spec, server !== null ? { flush_policy: o.flushPolicy } : null),
      o.keepTimelines,
      plan.model === 'open',
      undefined,
      undefined,
      { ...(o.slo !== undefined ? { slo: o.slo } : {}), ...(o.definitions !== undefined ? { definitions: o.definitions } : {}) },
    );
    if (o.browser !== undefined) {
      const api = browserApiFor(o.browser, spec, o.header ?? []);
      twin = await BrowserTwin.launch(chromium, spec, { api, concurrency: plan.concurrency, requests: plan.requests, durationMs: plan.durationMs, warmup: plan.warmup });
    }
    const onRecord = o.onRecord;
    const page = twin;
    const runner = new LoadRunner(spec, plan, (r) => {
      onRecord?.(r);
      summary.add(r);
      page?.wire(r);
    });
    observe?.(runner);
    const [run] = await Promise.all([runner.run(signal), twin?.run(signal)]);
    const wire = summary.finish({
      ...run,
      load: {
        model: plan.model,
        concurrency: plan.model === 'closed' ? plan.concurrency : null,
        rate: plan.model === 'open' ? plan.rate : null,
        arrival: plan.model === 'open' ? plan.arrival : null,
        max_in_flight: plan.model === 'open' ? plan.maxInFlight : null,
        connections: plan.connections,
        connections_opened: run.connections.opened,
        requests_on_reused_connections: run.connections.reused,
        planned_requests: plan.requests,
        planned_duration_s: plan.durationMs === null ? null : plan.durationMs / 1000,
      },
    });
    const configuration = twin === null ? wire : twin.finish(wire);
    const report = buildReport('bench', o.args, [configuration], reportEnvironment());
    const nothingMeasured = configuration.requests.ok === 0;
    const kinds = Object.entries(configuration.errors).map(([k, n]) => `${k} ${n}`).join(', ');
    const reason = nothingMeasured ? `nothing measured: all ${configuration.requests.measured} requests to ${spec.url.href} failed (${kinds})` : '';
    return { report, nothingMeasured, reason, interrupted: signal?.aborted === true };
  } finally {
    await twin?.close();
    await server?.stop();
  }
}

