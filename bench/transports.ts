/**
 * `npm run bench:transports`: the guide's two untried ideas, measured (issue 28). compare's rounds
 * (interleaved, order rotating, server CPU from /metrics around each batch) over six transports:
 * SSE, NDJSON, WebSocket, SSE + gzip, SSE + br and WebSocket + permessage-deflate, on two
 * workloads: the guide's ping and the `rich-display` replay (a PNG, a progress display, a table).
 * Four serve processes (plain, --compress gzip, --compress br, --ws-deflate), so each row's server
 * CPU is its own; NDJSON shares the plain one (by Accept), as do SSE and WebSocket. The client is
 * this process, idle but for the measuring (compare's own client).
 * Per row: first_content_ms p50/p99, gap_ms p99, wire_bytes_per_event, server_cpu_ms_per_stream.
 */
import { buildRequestSpec, type RequestFlags } from '../src/probe/build-request-spec.js';
import type { CompareOptions } from '../src/probe/compare-options.js';
import { newTarget, runRounds, type Target } from '../src/probe/compare-rounds.js';
import { DEFAULT_WORKLOAD, workloadBody, type WorkloadOptions } from '../src/probe/compare-workload.js';
import { openStreamClient } from '../src/probe/open-stream-client.js';
import { httpUrl } from '../src/probe/request-spec.js';
import type { ReportConfiguration } from '../src/model/report.js';
import { startServe, type ServeProcess } from './lib/serve-process.js';
import { round } from './lib/stats.js';
import { writeResult } from './lib/write-result.js';

const ROUNDS = Number(process.env['ROUNDS'] ?? 5);
const REQUESTS = Number(process.env['REQUESTS'] ?? 4);

const FLAGS: RequestFlags = {
  keepAlive: true,
  format: 'auto',
  maxEventBytes: 1 << 24,
  connectTimeoutMs: 10_000,
  headersTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  requestTimeoutS: 120,
};

const WORKLOADS: Array<{ name: string; source: string; workload: WorkloadOptions }> = [
  { name: 'ping (the guide\'s: 20 tokens 20 ms apart)', source: 'ping', workload: { ...DEFAULT_WORKLOAD } },
  { name: 'replay rich-display (as recorded)', source: 'replay', workload: { ...DEFAULT_WORKLOAD, fixture: 'rich-display', speed: 1 } },
];

type Server = 'plain' | 'gzip' | 'br' | 'deflate';
const SERVE_ARGS: Record<Server, string[]> = { plain: [], gzip: ['--compress', 'gzip'], br: ['--compress', 'br'], deflate: ['--ws-deflate'] };
const ROWS: Array<{ name: string; server: Server; ws: boolean; flags: Partial<RequestFlags> }> = [
  { name: 'SSE', server: 'plain', ws: false, flags: {} },
  { name: 'NDJSON', server: 'plain', ws: false, flags: { format: 'ndjson' } },
  { name: 'WebSocket', server: 'plain', ws: true, flags: {} },
  { name: 'SSE + gzip', server: 'gzip', ws: false, flags: {} },
  { name: 'SSE + br', server: 'br', ws: false, flags: {} },
  { name: 'WebSocket + permessage-deflate', server: 'deflate', ws: true, flags: {} },
];

const servers = new Map<Server, ServeProcess>();
const tables: Array<{ workload: string; rows: Array<Record<string, unknown>> }> = [];
try {
  for (const s of Object.keys(SERVE_ARGS) as Server[]) servers.set(s, await startServe([...SERVE_ARGS[s], '--max-streams', '100000']));
  for (const w of WORKLOADS) {
    const body = workloadBody(w.source, w.workload);
    const targets: Target[] = [];
    for (const row of ROWS) {
      const base = servers.get(row.server)!.url;
      const url = row.ws ? `${base.replace(/^http/, 'ws')}/ws` : `${base}/send_operation`;
      const spec = await buildRequestSpec(url, { ...FLAGS, ...row.flags, body });
      const target = newTarget({ name: row.name, spec, settings: null, embeddedPolicy: null, metricsUrl: httpUrl('/metrics', spec.url).href });
      target.clients.push(openStreamClient(spec));
      targets.push(target);
    }
    const o = { rounds: ROUNDS, requests: REQUESTS, concurrency: 1, warmup: 1, keepTimelines: 0, args: ['npm', 'run', 'bench:transports'] } as unknown as CompareOptions;
    process.stderr.write(`${w.name}: ${ROUNDS} rounds × ${REQUESTS} streams × ${ROWS.length} transports\n`);
    try {
      const { report } = await runRounds(o, targets, null);
      tables.push({ workload: w.name, rows: report.configurations.map(rowOf) });
    } finally {
      for (const t of targets) await Promise.all(t.clients.map((c) => c.close()));
    }
  }
} finally {
  await Promise.all([...servers.values()].map((s) => s.stop()));
}

function rowOf(c: ReportConfiguration): Record<string, unknown> {
  const m = (name: string, stat: 'p50' | 'p99') => c.metrics[name]?.[stat] ?? null;
  return {
    transport: c.name,
    first_content_ms_p50: m('first_content_ms', 'p50'),
    first_content_ms_p99: m('first_content_ms', 'p99'),
    gap_ms_p99: m('gap_ms', 'p99'),
    wire_bytes_per_event: c.scalars['wire_bytes_per_event'] ?? null,
    server_cpu_ms_per_stream: c.scalars['server_cpu_ms_per_stream'] ?? null,
    events_per_stream_p50: m('events_per_stream', 'p50'),
    error_rate: c.scalars['error_rate'] ?? null,
  };
}

const cell = (x: unknown, digits = 2) => (typeof x === 'number' ? String(round(x, digits)) : '–');
const lines: string[] = [];
for (const t of tables) {
  lines.push(`${t.workload}`, '', '| transport | first_content_ms p50 | p99 | gap_ms p99 | wire_bytes_per_event | server_cpu_ms_per_stream | events/stream | errors |', '|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of t.rows) {
    lines.push(`| ${r['transport']} | ${cell(r['first_content_ms_p50'])} | ${cell(r['first_content_ms_p99'])} | ${cell(r['gap_ms_p99'])} | ${cell(r['wire_bytes_per_event'], 1)} | ${cell(r['server_cpu_ms_per_stream'], 3)} | ${cell(r['events_per_stream_p50'], 0)} | ${cell(r['error_rate'], 3)} |`);
  }
  lines.push('');
}
process.stdout.write(`${lines.join('\n')}(${ROUNDS} interleaved rounds × ${REQUESTS} streams per transport, pooled)\n`);
process.stdout.write(`wrote ${writeResult('transports', { command: 'npm run bench:transports', rounds: ROUNDS, requests: REQUESTS, tables })}\n`);
