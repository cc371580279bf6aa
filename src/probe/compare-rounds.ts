import { performance } from 'node:perf_hooks';
import { round3 } from '../model/metric-stats.js';
import { buildReport } from '../model/build-report.js';
import { reportEnvironment } from './machine-facts.js';
import type { ReportConfiguration, ReportFlushSettings, RoundSummary } from '../model/report.js';
import type { CompareOptions, CompareOutcome, CompareProgress } from './compare-options.js';
import { LoopDelaySampler } from './loop-delay-sampler.js';
import { newHistogram } from '../model/metric-histogram.js';
import type { StreamRecord } from '../model/record.js';
import { reportTarget, type RequestSpec } from './request-spec.js';
import type { ServeChild } from './serve-child.js';
import type { ComparePages } from './compare-browser.js';
import { idleCpuMsPerS, readServerCpuS, scrapeCostMs } from './server-cpu.js';
import type { SequentialClient } from './open-stream-client.js';
import { summarizeRun } from './summarize-run.js';

/**
 * The measuring half of `compare`: warm-up, the interleaved rounds, the server's CPU around each
 * batch, and the report. compare.ts sets the targets up and tears them down.
 */

/** One column of the comparison while it runs. */
export interface Target {
  name: string;
  spec: RequestSpec;
  settings: ReportFlushSettings | null;
  embeddedPolicy: string | null;
  metricsUrl: string | null;
  clients: SequentialClient[];
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

/** A column before anything was measured. */
export function newTarget(t: Pick<Target, 'name' | 'spec' | 'settings' | 'embeddedPolicy' | 'metricsUrl'>): Target {
  return {
    ...t,
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
  };
}


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
  if (c.scalars['wire_bytes_per_event'] !== undefined) scalars['wire_bytes_per_event'] = c.scalars['wire_bytes_per_event'];
  if (cpuMsPerStream !== null) scalars['server_cpu_ms_per_stream'] = round3(cpuMsPerStream);
  return { round, requests: { measured: c.requests.measured, ok: c.requests.ok, failed: c.requests.failed }, metrics, scalars };
}

function targetOf(t: Target): ReportConfiguration['target'] {
  return reportTarget(t.spec, t.embeddedPolicy === null ? null : { flush_policy: t.embeddedPolicy });
}

/** The spec with `notebook_id` suffixed `-k` when its body is the workload's JSON envelope. */
export async function runRounds(
  o: CompareOptions,
  targets: Target[],
  server: ServeChild | null,
  onProgress?: (p: CompareProgress) => void,
  signal?: AbortSignal,
  pages: ComparePages | null = null,
): Promise<CompareOutcome> {
  // An interrupt ends the streams in flight; the batch they belong to is dropped (a partial round
  // would weigh one configuration differently), the completed rounds are reported.
  const onAbort = () => {
    for (const t of targets) for (const c of t.clients) c.abort();
  };
  signal?.addEventListener('abort', onAbort);
  try {
    return await measureRounds(o, targets, server, onProgress, signal, pages);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function measureRounds(...[o, targets, server, onProgress, signal, pages = null]: Parameters<typeof runRounds>): Promise<CompareOutcome> {
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
      const first = t.nextIndex;
      const wire = runBatch(t, o.requests, false, tick);
      const records = pages === null ? await wire : await pages.batch(t.name, t.spec, o.requests, t.clients.length, first, wire);
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
      pages?.addToRound(t.rounds.at(-1)!);
    }
    if (signal?.aborted === true) {
      undoRound();
      break;
    }
    completed++;
  }
  const interrupted = signal?.aborted === true;
  const configurations = targets.map((t) => {
    const wire = summarizeRun(
      t.name,
      targetOf(t),
      { records: t.records, startedAt: t.startedAt ?? new Date(), wallMs: t.wallMs, cpuUs: t.clientCpuUs, loopDelay: t.sampler.histogram },
      o.keepTimelines,
    );
    const c = pages === null ? wire : pages.finish(wire);
    if (t.serverCpuStreams > 0) c.scalars['server_cpu_ms_per_stream'] = round3(t.serverCpuMs / t.serverCpuStreams);
    if (t.settings !== null) c.flush_settings = t.settings;
    c.rounds = t.rounds;
    if (interrupted) c.warnings.push({ code: 'interrupted', count: 1, details: { completed, rounds: o.rounds } });
    if (server === null && t.metricsUrl === null) c.warnings.push({ code: 'server_cpu_unreadable', count: 1, details: { url: new URL('/metrics', t.spec.url).href } });
    return c;
  });
  const report = buildReport('compare', o.args, configurations, reportEnvironment());
  const empty = configurations.filter((c) => c.requests.ok === 0);
  const nothingMeasured = empty.length === configurations.length;
  const reason = !nothingMeasured
    ? ''
    : interrupted && completed === 0
      ? 'interrupted before the first round completed: nothing measured'
      : `nothing measured: every request failed (${configurations.map((c) => `${c.name}: ${Object.entries(c.errors).map(([k, n]) => `${k} ${n}`).join(', ')}`).join('; ')})`;
  return { report, nothingMeasured, reason, interrupted };
}
