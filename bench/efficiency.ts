/**
 * `npm run bench:efficiency`: target 3 of the performance suite. Events per second delivered per
 * server CPU-second at c = 100 for each flush policy, writes per event, and the embedded server
 * against a minimal hand-written node:http SSE server (bench/minimal-sse-server.ts) in the same run
 * (target ≥ 0.9×). Server CPU comes from /proc/PID/stat before and after each batch; every batch is
 * the same ping workload; RUNS batches per server, interleaved; medians with min–max.
 * BEFORE_BIN=path/to/bin/notebook-stream.js adds `serve adaptive` of that (older) build.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { recordRatioGoal } from './lib/goals.js';
import { startServe, type ServeProcess } from './lib/serve-process.js';
import { processCpuSeconds, runBenchCli, stat } from './lib/run-bench-cli.js';
import { median, round, spread } from './lib/stats.js';
import { writeResult } from './lib/write-result.js';

const RUNS = Number(process.env['RUNS'] ?? 5);
const C = Number(process.env['C'] ?? 100);
const BODY = JSON.stringify({ notebook_id: 'perf', operation: { type: 'ping', count: 50, interval_ms: 20 }, lang: 'en' });

async function startMinimal(): Promise<ServeProcess> {
  const script = fileURLToPath(new URL('./minimal-sse-server.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').once('data', (d: string) => resolve(d.trim()));
    child.once('exit', (code) => reject(new Error(`minimal server exited ${code}`)));
  });
  return { url, child, stop: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) };
}

interface Target {
  name: string;
  server: ServeProcess;
  header?: string;
  eventsPerCpuS: number[];
  writesPerEvent: number[];
  firstContentP50: number[];
}

const ours = await startServe(['--allow-policy-override', '--log-level', 'warn']);
const BEFORE_BIN = process.env['BEFORE_BIN'];
// Each server started is stopped by the finally below, also when a later one fails to start.
let minimal: ServeProcess | null = null;
let before: ServeProcess | null = null;
const targets: Target[] = [];
try {
  minimal = await startMinimal();
  before = BEFORE_BIN === undefined ? null : await startServe(['--allow-policy-override', '--log-level', 'warn'], 30_000, BEFORE_BIN);
  targets.push(
    ...(before === null ? [] : [{ name: 'serve adaptive (before)', server: before, header: 'x-nbs-flush-policy: adaptive', eventsPerCpuS: [], writesPerEvent: [], firstContentP50: [] }]),
    { name: 'minimal node:http', server: minimal, eventsPerCpuS: [], writesPerEvent: [], firstContentP50: [] },
    ...(['adaptive', 'guide-after', 'guide-before'] as const).map((p) => ({ name: `serve ${p}`, server: ours, header: `x-nbs-flush-policy: ${p}`, eventsPerCpuS: [], writesPerEvent: [], firstContentP50: [] })),
  );
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(k + run) % targets.length]!;
      const pid = t.server.child.pid as number;
      const cpu0 = await processCpuSeconds(pid);
      const cfg = await runBenchCli([
        `${t.server.url}/send_operation`, '-c', String(C), '-n', String(C * 3), '--warmup', String(C), '--body', BODY,
        ...(t.header === undefined ? [] : ['-H', t.header]),
      ]);
      const cpu = (await processCpuSeconds(pid)) - cpu0;
      // Events of the measured and warm-up streams alike cost CPU: count them all.
      const streams = cfg.requests.ok + cfg.requests.warmup;
      const events = (stat(cfg, 'events_per_stream', 'mean') ?? 0) * streams;
      t.eventsPerCpuS.push(events / cpu);
      const writes = stat(cfg, 'writes_per_stream', 'mean');
      if (writes !== null) t.writesPerEvent.push(writes / (stat(cfg, 'events_per_stream', 'mean') ?? 1));
      t.firstContentP50.push(stat(cfg, 'first_content_ms') ?? NaN);
    }
  }
} finally {
  await Promise.all([ours.stop(), minimal?.stop(), before?.stop()]);
}

const fmt = (xs: number[]) => (xs.length === 0 ? '–' : `${round(median(xs))} (${round(spread(xs).min)}–${round(spread(xs).max)})`);
const baseline = median(targets.find((t) => t.name === 'minimal node:http')!.eventsPerCpuS);
const lines = [`| server (c = ${C}) | events per server CPU-second | × minimal | writes per event | first_content_ms p50 |`, '|---|---:|---:|---:|---:|'];
for (const t of targets) lines.push(`| ${t.name} | ${fmt(t.eventsPerCpuS)} | ${round(median(t.eventsPerCpuS) / baseline)} | ${fmt(t.writesPerEvent)} | ${fmt(t.firstContentP50)} |`);
process.stdout.write(`${lines.join('\n')}\n(${RUNS} batches of ${C * 3} streams (50 tokens, 20 ms apart) per server, interleaved; target: serve adaptive ≥ 0.9× minimal)\n`);
process.stdout.write(`wrote ${writeResult('efficiency', { command: 'npm run bench:efficiency', runs: RUNS, c: C, targets: targets.map(({ server: _s, ...rest }) => rest) })}\n`);

const adaptive = targets.find((t) => t.name === 'serve adaptive')!;
const old = targets.find((t) => t.name === 'serve adaptive (before)');
const ratio = round(median(adaptive.eventsPerCpuS) / baseline);
recordRatioGoal(
  {
    goal: `serve adaptive events per server CPU-second ÷ a minimal node:http SSE server's (c = ${C})`,
    unit: 'events/CPU-s',
    figure: round(median(adaptive.eventsPerCpuS), 0),
    baseline: round(baseline, 0),
    baseline_name: 'minimal node:http SSE server',
    ratio,
    note:
      `writes per event ${round(median(adaptive.writesPerEvent), 3)}` +
      (old === undefined ? '' : `; build before: ${round(median(old.eventsPerCpuS) / baseline)}×, writes per event ${round(median(old.writesPerEvent), 3)}`),
  },
  0.9,
);
