import { performance } from 'node:perf_hooks';
import { UsageError } from '../errors.js';
import { flushSettings, isFlushPolicyName } from '../flush-presets.js';
import { buildReport } from '../report/build-report.js';
import type { Report, ReportConfiguration, ReportFlushSettings, RoundSummary } from '../report/report.js';
import { buildRequestSpec, type RequestFlags } from './build-request-spec.js';
import { compareSource, type SourceSetup, type WorkloadOptions, workloadBody } from './compare-workload.js';
import { LoopDelaySampler } from './loop-delay-sampler.js';
import { newHistogram } from './metric-histogram.js';
import type { StreamRecord } from './record.js';
import type { RequestSpec } from './request-spec.js';
import { startServeChild, type ServeChild } from './serve-child.js';
import { idleCpuMsPerS, readServerCpuS, scrapeCostMs } from './server-cpu.js';
import { StreamClient } from './stream-client.js';
import { summarizeRun } from './summarize-run.js';

export interface CompareOptions extends RequestFlags {
  /** Endpoints to compare; empty: the embedded server, one configuration per flush policy. */
  urls: string[];
  /** Column names for the URLs (default: the URL). */
  labels: string[];
  flushPolicies: string[];
  rounds: number;
  /** Streams per configuration per round. */
  requests: number;
  /** Streams in flight at once within a batch (one connection each). */
  concurrency: number;
  /** Requests per connection before round 1, left out of the statistics. */
  warmup: number;
  source: string;
  workload: WorkloadOptions;
  keepTimelines: number;
  /** The command line, recorded in the report. */
  args: readonly string[];
}

/** A progress tick: the CLI draws it, the runner never prints. */
export interface CompareProgress {
  round: number;
  rounds: number;
  configuration: string;
  done: number;
  total: number;
}

export interface CompareOutcome {
  report: Report;
  nothingMeasured: boolean;
  reason: string;
  /** True when the signal stopped the run: the report holds the rounds completed before it. */
  interrupted: boolean;
}

/** One column of the comparison while it runs. */
interface Target {
  name: string;
  spec: RequestSpec;
  settings: ReportFlushSettings | null;
  embeddedPolicy: string | null;
  metricsUrl: string | null;
  clients: StreamClient[];
  records: StreamRecord[];
  rounds: RoundSummary[];
  nextIndex: number;
  wallMs: number;
  clientCpuUs: number;
  serverCpuMs: number;
  serverCpuStreams: number;
  sampler: LoopDelaySampler;
  startedAt: Date | null;
}

export const POLICY_HEADER = 'x-nbs-flush-policy';

export function reportSettings(name: string): ReportFlushSettings | null {
  if (!isFlushPolicyName(name)) return null;
  const s = flushSettings(name);
  return {
    policy: s.policy,
    mode: s.mode,
    buffer_chars: s.bufferChars,
    flush_interval_ms: s.flushIntervalMs,
    min_chars: s.minChars,
    release_wait_ms: s.releaseWaitMs,
    kernel_wait_ms: s.kernelWaitMs,
    streaming_headers: s.streamingHeaders,
  };
}

/** `/healthz` of a notebook-stream server shows its settings; other servers have none to show. */
async function settingsFromHealthz(url: URL, headers: Record<string, string>): Promise<ReportFlushSettings | null> {
  try {
    const res = await fetch(new URL('/healthz', url), { headers, signal: AbortSignal.timeout(3000) });
    if (!res.ok) return null;
    const body = (await res.json()) as { settings?: Record<string, unknown> };
    const s = body.settings;
    if (s === undefined || typeof s['policy'] !== 'string' || typeof s['bufferChars'] !== 'number') return null;
    return {
      policy: s['policy'],
      mode: s['mode'] === 'adaptive' ? 'adaptive' : 'buffered',
      buffer_chars: Number(s['bufferChars']),
      flush_interval_ms: Number(s['flushIntervalMs']),
      min_chars: Number(s['minChars']),
      release_wait_ms: Number(s['releaseWaitMs']),
      kernel_wait_ms: Number(s['kernelWaitMs']),
      streaming_headers: s['streamingHeaders'] === true,
    };
  } catch {
    return null;
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Runs `n` requests over the target's connections, `concurrency` at a time. */
async function runBatch(t: Target, n: number, warmup: boolean, onDone: () => void): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  let left = n;
  await Promise.all(
    t.clients.map(async (client) => {
      while (left > 0) {
        left--;
        const record = await client.request(t.nextIndex++, warmup);
        out.push(record);
        onDone();
      }
    }),
  );
  return out;
}

/** p50, p99 and count of each metric of one round's streams. */
function roundSummary(round: number, t: Target, records: StreamRecord[], cpuMsPerStream: number | null): RoundSummary {
  const c = summarizeRun(t.name, targetOf(t), { records, startedAt: new Date(), wallMs: 0, cpuUs: 0, loopDelay: newHistogram() }, 0);
  const metrics: RoundSummary['metrics'] = {};
  for (const [name, m] of Object.entries(c.metrics)) {
    if (name === 'client_loop_delay_ms') continue;
    metrics[name] = { p50: m.p50, p99: m.p99, count: m.count };
  }
  const scalars: Record<string, number> = { error_rate: c.scalars['error_rate'] ?? 0 };
  if (cpuMsPerStream !== null) scalars['server_cpu_ms_per_stream'] = round3(cpuMsPerStream);
  return { round, requests: { measured: c.requests.measured, ok: c.requests.ok, failed: c.requests.failed }, metrics, scalars };
}

function targetOf(t: Target): ReportConfiguration['target'] {
  const s = t.spec;
  return {
    url: s.url.href,
    method: s.method,
    http_version: s.http2 ? '2' : '1.1',
    keep_alive: s.keepAlive,
    format: s.format,
    parsed_as: [],
    content_type: null,
    content_encoding: null,
    accept_encoding: s.headers['accept-encoding'] ?? null,
    embedded_server: t.embeddedPolicy === null ? null : { flush_policy: t.embeddedPolicy },
  };
}

/** The spec with `notebook_id` suffixed `-k` when its body is the workload's JSON envelope. */
function withNotebook(spec: RequestSpec, k: number): RequestSpec {
  if (typeof spec.body !== 'string') return spec;
  try {
    const body = JSON.parse(spec.body) as Record<string, unknown>;
    if (typeof body['notebook_id'] !== 'string') return spec;
    return { ...spec, body: JSON.stringify({ ...body, notebook_id: `${body['notebook_id']}-${k}` }) };
  } catch {
    return spec;
  }
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return names.filter((x) => x === n).length > 1 ? `${n}#${k}` : n;
  });
}

/**
 * `notebook-stream compare`: the same workload against each configuration, in interleaved rounds
 * (the order rotates every round, so drift and order effects hit every configuration alike), the
 * server's CPU read from `/metrics` around each configuration's batch. Prints nothing.
 */
export async function compare(o: CompareOptions, onProgress?: (p: CompareProgress) => void, signal?: AbortSignal): Promise<CompareOutcome> {
  if (o.labels.length > 0 && o.urls.length === 0) throw new UsageError('--label: names URL columns; give the URLs too (or use --flush-policies)');
  if (o.labels.length > o.urls.length) throw new UsageError(`Too many --label options: expected ${o.urls.length} at most (one per URL)`);
  if (o.urls.length === 1) throw new UsageError('compare needs two URLs or more (or none, to compare flush policies on the embedded server)');
  if (o.urls.length === 0) {
    if (o.flushPolicies.length < 2) throw new UsageError('--flush-policies: give two policies or more, comma-separated');
    for (const p of o.flushPolicies) {
      if (!isFlushPolicyName(p) || p === 'custom') throw new UsageError(`--flush-policies: unknown policy '${p}' (known: guide-before, guide-after, adaptive)`);
    }
  }
  const source = compareSource(o.source);
  const body = workloadBody(o.source, o.workload);
  let server: ServeChild | null = null;
  let setup: SourceSetup | null = null;
  const targets: Target[] = [];
  const blank = (): Omit<Target, 'name' | 'spec' | 'settings' | 'embeddedPolicy' | 'metricsUrl'> => ({
    clients: [],
    records: [],
    rounds: [],
    nextIndex: 0,
    wallMs: 0,
    clientCpuUs: 0,
    serverCpuMs: 0,
    serverCpuStreams: 0,
    sampler: new LoopDelaySampler(),
    startedAt: null,
  });
  try {
    if (o.urls.length === 0) {
      setup = (await source.prepare?.(o.workload)) ?? null;
      server = await startServeChild('adaptive', 20_000, ['--allow-policy-override', ...(setup?.serveArgs ?? [])]);
      const url = `${server.url.replace(/\/$/, '')}/send_operation`;
      const names = uniqueNames(o.flushPolicies);
      for (const [i, policy] of o.flushPolicies.entries()) {
        const spec = await buildRequestSpec(url, { ...o, body });
        spec.headers[POLICY_HEADER] = policy;
        targets.push({ ...blank(), name: names[i]!, spec, settings: reportSettings(policy), embeddedPolicy: policy, metricsUrl: `${server.url.replace(/\/$/, '')}/metrics` });
      }
    } else {
      const names = uniqueNames(o.urls.map((u, i) => o.labels[i] ?? u));
      for (const [i, url] of o.urls.entries()) {
        const wantsWorkload = o.body === undefined && o.bodyFile === undefined && /\/send_operation$/.test(new URL(url, 'http://x').pathname);
        const spec = await buildRequestSpec(url, wantsWorkload ? { ...o, body } : o);
        const auth = spec.headers['authorization'] === undefined ? {} : { authorization: spec.headers['authorization'] };
        const metricsUrl = new URL('/metrics', spec.url).href;
        const readable = (await readServerCpuS(metricsUrl, auth)) !== null;
        targets.push({ ...blank(), name: names[i]!, spec, settings: await settingsFromHealthz(spec.url, auth), embeddedPolicy: null, metricsUrl: readable ? metricsUrl : null });
      }
    }
    for (const t of targets) {
      // One notebook per connection: the execute source runs a notebook's cells one after another,
      // so concurrent streams need notebooks of their own (the other sources ignore the id).
      t.clients = Array.from({ length: Math.min(o.concurrency, o.requests) }, (_, k) => new StreamClient(k === 0 ? t.spec : withNotebook(t.spec, k)));
    }
    return await runRounds(o, targets, server, onProgress, signal);
  } finally {
    for (const t of targets) {
      t.sampler.stop();
      await Promise.all(t.clients.map((c) => c.close()));
    }
    await server?.stop();
    await setup?.stop();
  }
}

async function runRounds(
  o: CompareOptions,
  targets: Target[],
  server: ServeChild | null,
  onProgress?: (p: CompareProgress) => void,
  signal?: AbortSignal,
): Promise<CompareOutcome> {
  // An interrupt ends the streams in flight; the batch they belong to is dropped (a partial round
  // would weigh one configuration differently), the completed rounds are reported.
  const onAbort = () => {
    for (const t of targets) for (const c of t.clients) c.abort();
  };
  signal?.addEventListener('abort', onAbort);
  try {
    return await measureRounds(o, targets, server, onProgress, signal);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function measureRounds(
  o: CompareOptions,
  targets: Target[],
  server: ServeChild | null,
  onProgress?: (p: CompareProgress) => void,
  signal?: AbortSignal,
): Promise<CompareOutcome> {
  const authOf = (t: Target) => (t.spec.headers['authorization'] === undefined ? {} : { authorization: t.spec.headers['authorization'] });
  // Warm every connection (and the server's code paths) before round 1.
  for (const t of targets) {
    for (const client of t.clients) {
      for (let i = 0; i < o.warmup && signal?.aborted !== true; i++) t.records.push(await client.request(t.nextIndex++, true));
    }
  }
  // What a scrape costs and what the idle server burns: neither is charged to the streams.
  const scrapeCost = new Map<string, number>();
  const idleRate = new Map<string, number>();
  for (const t of targets) {
    if (t.metricsUrl === null || scrapeCost.has(t.metricsUrl) || signal?.aborted === true) continue;
    const cost = await scrapeCostMs(t.metricsUrl, authOf(t));
    scrapeCost.set(t.metricsUrl, cost);
    idleRate.set(t.metricsUrl, await idleCpuMsPerS(t.metricsUrl, authOf(t), 1000, cost));
  }
  let completed = 0;
  rounds: for (let r = 0; r < o.rounds; r++) {
    // Rotate the order: each configuration goes first in turn.
    const order = targets.map((_, i) => targets[(i + r) % targets.length]!);
    // What each target held before this round: an interrupted round is undone to it.
    const kept = targets.map((t) => ({ t, records: t.records.length, rounds: t.rounds.length, wallMs: t.wallMs, clientCpuUs: t.clientCpuUs, serverCpuMs: t.serverCpuMs, serverCpuStreams: t.serverCpuStreams }));
    const undoRound = () => {
      for (const k of kept) {
        k.t.records.length = k.records;
        k.t.rounds.length = k.rounds;
        Object.assign(k.t, { wallMs: k.wallMs, clientCpuUs: k.clientCpuUs, serverCpuMs: k.serverCpuMs, serverCpuStreams: k.serverCpuStreams });
      }
    };
    for (const t of order) {
      if (signal?.aborted === true) {
        undoRound();
        break rounds;
      }
      let done = 0;
      const tick = () => onProgress?.({ round: r + 1, rounds: o.rounds, configuration: t.name, done: ++done, total: o.requests });
      const auth = authOf(t);
      const cpu0 = t.metricsUrl === null ? null : await readServerCpuS(t.metricsUrl, auth);
      t.startedAt ??= new Date();
      t.sampler.start();
      const clientCpu0 = process.cpuUsage();
      const t0 = performance.now();
      const records = await runBatch(t, o.requests, false, tick);
      const batchMs = performance.now() - t0;
      t.wallMs += batchMs;
      const clientCpu = process.cpuUsage(clientCpu0);
      t.clientCpuUs += clientCpu.user + clientCpu.system;
      t.sampler.stop();
      const cpu1 = t.metricsUrl === null || cpu0 === null ? null : await readServerCpuS(t.metricsUrl, auth);
      let perStream: number | null = null;
      if (cpu0 !== null && cpu1 !== null && records.length > 0) {
        const idleMs = ((idleRate.get(t.metricsUrl!) ?? 0) * batchMs) / 1000;
        const ms = Math.max(0, (cpu1 - cpu0) * 1000 - (scrapeCost.get(t.metricsUrl!) ?? 0) - idleMs);
        t.serverCpuMs += ms;
        t.serverCpuStreams += records.length;
        perStream = ms / records.length;
      }
      t.records.push(...records);
      t.rounds.push(roundSummary(r + 1, t, records, perStream));
    }
    if (signal?.aborted === true) {
      undoRound();
      break;
    }
    completed++;
  }
  const interrupted = signal?.aborted === true;
  const configurations = targets.map((t) => {
    const c = summarizeRun(
      t.name,
      targetOf(t),
      { records: t.records, startedAt: t.startedAt ?? new Date(), wallMs: t.wallMs, cpuUs: t.clientCpuUs, loopDelay: t.sampler.histogram },
      o.keepTimelines,
    );
    if (t.serverCpuStreams > 0) c.scalars['server_cpu_ms_per_stream'] = round3(t.serverCpuMs / t.serverCpuStreams);
    if (t.settings !== null) c.flush_settings = t.settings;
    c.rounds = t.rounds;
    if (interrupted) c.warnings.push(`interrupted: ${completed} of ${o.rounds} rounds completed`);
    if (server === null && t.metricsUrl === null) c.warnings.push(`server_cpu_ms_per_stream: ${new URL('/metrics', t.spec.url).href} is not readable Prometheus text`);
    return c;
  });
  const report = buildReport('compare', o.args, configurations);
  const empty = configurations.filter((c) => c.requests.ok === 0);
  const nothingMeasured = empty.length === configurations.length;
  const reason = !nothingMeasured
    ? ''
    : interrupted && completed === 0
      ? 'interrupted before the first round completed: nothing measured'
      : `nothing measured: every request failed (${configurations.map((c) => `${c.name}: ${Object.entries(c.errors).map(([k, n]) => `${k} ${n}`).join(', ')}`).join('; ')})`;
  return { report, nothingMeasured, reason, interrupted };
}
