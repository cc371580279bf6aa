/**
 * `npm run bench:client`: how fast is bench as a load generator? In one run, against the same
 * trivial endpoint (the accuracy server, its own process: one SSE event, then the end), alternate
 * `notebook-stream bench -c C -d D`, `autocannon -c C -d D` and plain undici (undici-baseline.ts),
 * each its own process, RUNS times, and compare requests/s (target: bench ≥ 1.0 × autocannon). Then SSE events parsed per second on
 * one core, from `bench/parse-throughput.ts` (reused, not re-implemented). Prints a table and a
 * Markdown block for docs/performance.md, and writes reports/bench-client-<timestamp>.json.
 * Every figure comes from this run; nothing is hard-coded.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, spread } from './lib/stats.js';

const run = promisify(execFile);
const RUNS = Number(process.env['RUNS'] ?? 5);
const CONNECTIONS = Number(process.env['CONNECTIONS'] ?? 10);
const DURATION_S = Number(process.env['DURATION_S'] ?? 5);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'notebook-stream.js');
const AUTOCANNON = path.join(path.dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');

function quantiles(xs: number[]): { median: number; min: number; max: number; runs: number[] } {
  return { median: median(xs), ...spread(xs), runs: xs };
}

async function startServer(): Promise<{ url: string; stop: () => void }> {
  const script = fileURLToPath(new URL('./accuracy-server.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.once('data', (s: string) => resolve(s.trim()));
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function benchRate(url: string): Promise<{ rps: number; cpu: number; loopP99: number | null; errors: number }> {
  const { stdout } = await run(process.execPath, [BIN, 'bench', url, '-c', String(CONNECTIONS), '-d', `${DURATION_S}s`, '--json', '--no-out', '-q', '--identity'], {
    maxBuffer: 64 << 20,
  });
  const c = (JSON.parse(stdout) as { configurations: Array<{ scalars: Record<string, number>; requests: { failed: number }; metrics: Record<string, { p99: number | null }> }> })
    .configurations[0]!;
  return { rps: c.scalars['requests_per_s']!, cpu: c.scalars['client_cpu_pct']!, loopP99: c.metrics['client_loop_delay_ms']?.p99 ?? null, errors: c.requests.failed };
}

async function autocannonRate(url: string): Promise<{ rps: number; errors: number }> {
  const { stdout } = await run(process.execPath, [AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(DURATION_S), '-j', '-H', 'accept=text/event-stream', url], {
    maxBuffer: 64 << 20,
  });
  const r = JSON.parse(stdout) as { requests: { total: number }; duration: number; errors: number; non2xx: number };
  return { rps: r.requests.total / r.duration, errors: r.errors + r.non2xx };
}

async function undiciRate(url: string): Promise<{ rps: number; errors: number }> {
  const script = fileURLToPath(new URL('./undici-baseline.js', import.meta.url));
  const { stdout } = await run(process.execPath, [script, url, String(CONNECTIONS), String(DURATION_S)]);
  const r = JSON.parse(stdout) as { requests_per_s: number; errors: number };
  return { rps: r.requests_per_s, errors: r.errors };
}

async function parseRates(): Promise<{ sse: { median: number; min: number }; ndjson: { median: number; min: number }; output: string }> {
  const script = fileURLToPath(new URL('./parse-throughput.js', import.meta.url));
  const { stdout } = await run(process.execPath, [script], { maxBuffer: 16 << 20 });
  const row = (kind: string) => {
    const line = stdout.split('\n').find((l) => l.startsWith(kind + ' '));
    const cols = line?.trim().split(/\s+/) ?? [];
    return { median: Number(cols[3]) * 1e6, min: Number(cols[4]) * 1e6 };
  };
  return { sse: row('sse'), ndjson: row('ndjson'), output: stdout };
}

async function gitCommit(): Promise<string> {
  try {
    return (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })).stdout.trim();
  } catch {
    return 'unknown';
  }
}

const server = await startServer();
const url = `${server.url.replace(/\/$/, '')}/?delay=0&events=1`;
const ours: Array<Awaited<ReturnType<typeof benchRate>>> = [];
const theirs: Array<Awaited<ReturnType<typeof autocannonRate>>> = [];
const floor: Array<Awaited<ReturnType<typeof undiciRate>>> = [];
try {
  // Warm the server up once, then alternate (and swap who goes first) so both see the same machine state.
  await autocannonRate(url);
  for (let i = 0; i < RUNS; i++) {
    // Rotate who goes first, so no tool always runs on a warmer (or more loaded) machine.
    const order = [() => benchRate(url).then((r) => ours.push(r)), () => autocannonRate(url).then((r) => theirs.push(r)), () => undiciRate(url).then((r) => floor.push(r))];
    for (let k = 0; k < order.length; k++) await order[(i + k) % order.length]!();
    process.stderr.write(
      `run ${i + 1}/${RUNS}: bench ${ours.at(-1)!.rps.toFixed(0)} req/s, autocannon ${theirs.at(-1)!.rps.toFixed(0)} req/s, plain undici ${floor.at(-1)!.rps.toFixed(0)} req/s\n`,
    );
  }
} finally {
  server.stop();
}
const parse = await parseRates();

const b = quantiles(ours.map((r) => r.rps));
const a = quantiles(theirs.map((r) => r.rps));
const u = quantiles(floor.map((r) => r.rps));
const ratios = quantiles(ours.map((r, i) => r.rps / theirs[i]!.rps));
const ratiosUndici = quantiles(ours.map((r, i) => r.rps / floor[i]!.rps));
const undiciOverAutocannon = quantiles(floor.map((r, i) => r.rps / theirs[i]!.rps));
const cpus = os.cpus();
const result = {
  date: new Date().toISOString(),
  commit: await gitCommit(),
  command: `RUNS=${RUNS} CONNECTIONS=${CONNECTIONS} DURATION_S=${DURATION_S} npm run bench:client`,
  machine: { nproc: os.availableParallelism(), cpu_model: cpus[0]?.model.trim() ?? 'unknown', node: process.version },
  endpoint: 'accuracy server, one SSE event then end, keep-alive, own process',
  connections: CONNECTIONS,
  duration_s: DURATION_S,
  bench_requests_per_s: b,
  autocannon_requests_per_s: a,
  undici_baseline_requests_per_s: u,
  ratio_bench_over_autocannon: ratios,
  ratio_bench_over_undici_baseline: ratiosUndici,
  ratio_undici_baseline_over_autocannon: undiciOverAutocannon,
  load_average_at_end: os.loadavg().map((x) => Math.round(x * 100) / 100),
  bench_client_cpu_pct: quantiles(ours.map((r) => r.cpu)),
  bench_client_loop_delay_p99_ms: quantiles(ours.map((r) => r.loopP99 ?? 0)),
  errors: { bench: ours.reduce((n, r) => n + r.errors, 0), autocannon: theirs.reduce((n, r) => n + r.errors, 0), undici: floor.reduce((n, r) => n + r.errors, 0) },
  sse_events_parsed_per_s: parse.sse,
  ndjson_events_parsed_per_s: parse.ndjson,
};
await mkdir(path.join(ROOT, 'reports'), { recursive: true });
const file = path.join(ROOT, 'reports', `bench-client-${result.date.replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify(result, null, 2) + '\n');

const f0 = (x: number) => Math.round(x).toLocaleString('en-US');
const f2 = (x: number) => x.toFixed(2);
console.log(`client throughput, ${RUNS} runs of ${DURATION_S} s, ${CONNECTIONS} connections, Node ${process.version} (${file})`);
console.log('');
console.log('| tool | requests/s median | min | max |');
console.log('|---|---:|---:|---:|');
console.log(`| notebook-stream bench -c ${CONNECTIONS} -d ${DURATION_S}s | ${f0(b.median)} | ${f0(b.min)} | ${f0(b.max)} |`);
console.log(`| autocannon -c ${CONNECTIONS} -d ${DURATION_S} | ${f0(a.median)} | ${f0(a.min)} | ${f0(a.max)} |`);
console.log(`| plain undici Agent (no timing, no parsing) | ${f0(u.median)} | ${f0(u.min)} | ${f0(u.max)} |`);
console.log(`| ratio bench / autocannon (paired) | ${f2(ratios.median)}× | ${f2(ratios.min)}× | ${f2(ratios.max)}× |`);
console.log(`| ratio bench / plain undici (paired) | ${f2(ratiosUndici.median)}× | ${f2(ratiosUndici.min)}× | ${f2(ratiosUndici.max)}× |`);
console.log(`| ratio plain undici / autocannon (paired) | ${f2(undiciOverAutocannon.median)}× | ${f2(undiciOverAutocannon.min)}× | ${f2(undiciOverAutocannon.max)}× |`);
console.log('');
console.log(`load average at the end: ${result.load_average_at_end.join(' ')} (nproc ${result.machine.nproc})`);
console.log(`bench client_cpu_pct median ${f2(result.bench_client_cpu_pct.median)} %, client_loop_delay_ms p99 median ${f2(result.bench_client_loop_delay_p99_ms.median)} ms; errors: bench ${result.errors.bench}, autocannon ${result.errors.autocannon}`);
console.log(`SSE events parsed/s on one core: median ${f0(parse.sse.median)} (min ${f0(parse.sse.min)}); NDJSON: ${f0(parse.ndjson.median)} (min ${f0(parse.ndjson.min)})`);
