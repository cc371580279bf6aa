/**
 * `npm run bench:client`: how fast is bench as a load generator? In one run, against the same
 * endpoint, faster than every client measured (instant-sse-server.ts, its own process: one SSE
 * event and the end, in one write, at once), alternate `notebook-stream bench -c C -d D`,
 * `autocannon -c C -d D` and plain undici (undici-baseline.ts), each its own process, RUNS times,
 * for each C of CONNECTIONS (default 10,50), and compare requests/s (target: bench ≥ 1.0 ×
 * autocannon). BEFORE_BIN=path/to/bin/notebook-stream.js adds an older build of bench to every
 * round (the baseline of a change, measured in the same run). Then SSE events parsed per second on
 * one core, from `bench/parse-throughput.ts` (reused, not re-implemented). Prints a table and a
 * Markdown block for docs/performance.md, and writes reports/bench-client-<timestamp>.json.
 * Every figure comes from this run; nothing is hard-coded.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { recordRatioGoal } from './lib/goals.js';
import { median, round, spread } from './lib/stats.js';

const run = promisify(execFile);
const RUNS = Number(process.env['RUNS'] ?? 5);
const CONNECTION_COUNTS = (process.env['CONNECTIONS'] ?? '10,50').split(',').map(Number);
const BEFORE_BIN = process.env['BEFORE_BIN'];
const DURATION_S = Number(process.env['DURATION_S'] ?? 5);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'notebook-stream.js');
const AUTOCANNON = path.join(path.dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');

const TMP = await mkdtemp(path.join(os.tmpdir(), 'nbs-client-'));
let timedRuns = 0;

/**
 * Runs a tool under /usr/bin/time: its stdout and the CPU seconds (user + system) it used. On a
 * loaded machine requests/s mostly measures the wait for a core; requests per client CPU-second
 * measures what each request costs the client, which is what a leaner client changes.
 */
async function timed(file: string, args: string[]): Promise<{ stdout: string; cpuS: number }> {
  const out = path.join(TMP, `time-${timedRuns++}.txt`);
  const { stdout } = await run('/usr/bin/time', ['-f', '%U %S', '-o', out, file, ...args], { maxBuffer: 64 << 20 });
  const [user, sys] = (await readFile(out, 'utf8')).trim().split('\n').at(-1)!.split(' ').map(Number);
  return { stdout, cpuS: user! + sys! };
}

function quantiles(xs: number[]): { median: number; min: number; max: number; runs: number[] } {
  return { median: median(xs), ...spread(xs), runs: xs };
}

async function startServer(): Promise<{ url: string; stop: () => void }> {
  const script = fileURLToPath(new URL('./instant-sse-server.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.once('data', (s: string) => resolve(s.trim()));
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

interface Rate {
  rps: number;
  /** Requests per CPU-second of the client's process (start-up included, alike for every tool). */
  perCpuS: number;
  errors: number;
}

async function benchRate(url: string, CONNECTIONS: number, bin = BIN): Promise<Rate & { cpu: number; loopP99: number | null }> {
  const { stdout, cpuS } = await timed(process.execPath, [bin, 'bench', url, '-c', String(CONNECTIONS), '-d', `${DURATION_S}s`, '--json', '--no-out', '-q', '--identity']);
  const c = (JSON.parse(stdout) as { configurations: Array<{ scalars: Record<string, number>; requests: { measured: number; failed: number; warmup: number }; metrics: Record<string, { p99: number | null }> }> })
    .configurations[0]!;
  const requests = c.requests.measured + c.requests.warmup;
  return { rps: c.scalars['requests_per_s']!, perCpuS: requests / cpuS, cpu: c.scalars['client_cpu_pct']!, loopP99: c.metrics['client_loop_delay_ms']?.p99 ?? null, errors: c.requests.failed };
}

async function autocannonRate(url: string, CONNECTIONS: number): Promise<Rate> {
  const { stdout, cpuS } = await timed(process.execPath, [AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(DURATION_S), '-j', '-H', 'accept=text/event-stream', url]);
  const r = JSON.parse(stdout) as { requests: { total: number }; duration: number; errors: number; non2xx: number };
  return { rps: r.requests.total / r.duration, perCpuS: r.requests.total / cpuS, errors: r.errors + r.non2xx };
}

async function undiciRate(url: string, CONNECTIONS: number): Promise<Rate> {
  const script = fileURLToPath(new URL('./undici-baseline.js', import.meta.url));
  const { stdout, cpuS } = await timed(process.execPath, [script, url, String(CONNECTIONS), String(DURATION_S)]);
  const r = JSON.parse(stdout) as { requests_per_s: number; requests: number; errors: number };
  return { rps: r.requests_per_s, perCpuS: r.requests / cpuS, errors: r.errors };
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
const url = server.url;
// PARSE=0 skips the parser rates (bench:parse measures them on their own).
const parse =
  process.env['PARSE'] === '0'
    ? { sse: { median: NaN, min: NaN }, ndjson: { median: NaN, min: NaN }, output: '' }
    : await parseRates().catch((err: unknown) => {
        server.stop();
        throw err;
      });
const perCount: Record<string, unknown>[] = [];
try {
  for (const CONNECTIONS of CONNECTION_COUNTS) perCount.push(await measure(CONNECTIONS));
} finally {
  server.stop();
  await rm(TMP, { recursive: true, force: true });
}
const cpus = os.cpus();
const date = new Date().toISOString();
const result = {
  date,
  commit: await gitCommit(),
  command: `RUNS=${RUNS} CONNECTIONS=${CONNECTION_COUNTS.join(',')} DURATION_S=${DURATION_S} npm run bench:client`,
  machine: { nproc: os.availableParallelism(), cpu_model: cpus[0]?.model.trim() ?? 'unknown', node: process.version },
  endpoint: 'instant-sse-server: one SSE event and the end in one write, at once, keep-alive, own process',
  duration_s: DURATION_S,
  load_average_at_end: os.loadavg().map((x) => Math.round(x * 100) / 100),
  connections: perCount,
  sse_events_parsed_per_s: parse.sse,
  ndjson_events_parsed_per_s: parse.ndjson,
};
await mkdir(path.join(ROOT, 'reports'), { recursive: true });
const file = path.join(ROOT, 'reports', `bench-client-${date.replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify(result, null, 2) + '\n');
const f0 = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`load average at the end: ${result.load_average_at_end.join(' ')} (nproc ${result.machine.nproc}); ${file}`);
console.log(`SSE events parsed/s on one core: median ${f0(parse.sse.median)} (min ${f0(parse.sse.min)}); NDJSON: ${f0(parse.ndjson.median)} (min ${f0(parse.ndjson.min)})`);

async function measure(CONNECTIONS: number): Promise<Record<string, unknown>> {
  const ours: Array<Awaited<ReturnType<typeof benchRate>>> = [];
  const before: Array<Awaited<ReturnType<typeof benchRate>>> = [];
  const theirs: Array<Awaited<ReturnType<typeof autocannonRate>>> = [];
  const floor: Array<Awaited<ReturnType<typeof undiciRate>>> = [];
  // Warm the server up once, then alternate (and rotate who goes first) so all see the same machine state.
  await autocannonRate(url, CONNECTIONS);
  for (let i = 0; i < RUNS; i++) {
    const order = [
      () => benchRate(url, CONNECTIONS).then((r) => ours.push(r)),
      () => autocannonRate(url, CONNECTIONS).then((r) => theirs.push(r)),
      () => undiciRate(url, CONNECTIONS).then((r) => floor.push(r)),
      ...(BEFORE_BIN === undefined ? [] : [() => benchRate(url, CONNECTIONS, BEFORE_BIN).then((r) => before.push(r))]),
    ];
    for (let k = 0; k < order.length; k++) await order[(i + k) % order.length]!();
    process.stderr.write(
      `-c ${CONNECTIONS} run ${i + 1}/${RUNS}: bench ${ours.at(-1)!.rps.toFixed(0)} req/s, autocannon ${theirs.at(-1)!.rps.toFixed(0)} req/s, plain undici ${floor.at(-1)!.rps.toFixed(0)} req/s` +
        (BEFORE_BIN === undefined ? '\n' : `, bench before ${before.at(-1)!.rps.toFixed(0)} req/s\n`),
    );
  }
  const b = quantiles(ours.map((r) => r.rps));
  const a = quantiles(theirs.map((r) => r.rps));
  const u = quantiles(floor.map((r) => r.rps));
  const ratios = quantiles(ours.map((r, i) => r.rps / theirs[i]!.rps));
  const ratiosUndici = quantiles(ours.map((r, i) => r.rps / floor[i]!.rps));
  const undiciOverAutocannon = quantiles(floor.map((r, i) => r.rps / theirs[i]!.rps));
  const perCpu = quantiles(ours.map((r, i) => r.perCpuS / theirs[i]!.perCpuS));
  const perCpuBefore = before.length > 0 ? quantiles(ours.map((r, i) => r.perCpuS / before[i]!.perCpuS)) : null;
  const bc = quantiles(ours.map((r) => r.perCpuS));
  const ac = quantiles(theirs.map((r) => r.perCpuS));
  const uc = quantiles(floor.map((r) => r.perCpuS));
  const bbc = before.length > 0 ? quantiles(before.map((r) => r.perCpuS)) : null;
  const bb = before.length > 0 ? quantiles(before.map((r) => r.rps)) : null;
  const overBefore = before.length > 0 ? quantiles(ours.map((r, i) => r.rps / before[i]!.rps)) : null;
  const f0 = (x: number) => Math.round(x).toLocaleString('en-US');
  const f2 = (x: number) => x.toFixed(2);
  console.log(`\nclient throughput, -c ${CONNECTIONS}, ${RUNS} runs of ${DURATION_S} s, Node ${process.version}`);
  console.log('');
  console.log('| tool | requests/s median | min | max | requests per client CPU-second median |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| notebook-stream bench -c ${CONNECTIONS} -d ${DURATION_S}s | ${f0(b.median)} | ${f0(b.min)} | ${f0(b.max)} | ${f0(bc.median)} |`);
  if (bb !== null) console.log(`| bench before (BEFORE_BIN) | ${f0(bb.median)} | ${f0(bb.min)} | ${f0(bb.max)} | ${f0(bbc!.median)} |`);
  console.log(`| autocannon -c ${CONNECTIONS} -d ${DURATION_S} | ${f0(a.median)} | ${f0(a.min)} | ${f0(a.max)} | ${f0(ac.median)} |`);
  console.log(`| plain undici Agent (no timing, no parsing) | ${f0(u.median)} | ${f0(u.min)} | ${f0(u.max)} | ${f0(uc.median)} |`);
  console.log(`| ratio bench / autocannon (paired) | ${f2(ratios.median)}× | ${f2(ratios.min)}× | ${f2(ratios.max)}× |`);
  console.log(`| ratio bench / plain undici (paired) | ${f2(ratiosUndici.median)}× | ${f2(ratiosUndici.min)}× | ${f2(ratiosUndici.max)}× |`);
  console.log(`| ratio plain undici / autocannon (paired) | ${f2(undiciOverAutocannon.median)}× | ${f2(undiciOverAutocannon.min)}× | ${f2(undiciOverAutocannon.max)}× |`);
  if (overBefore !== null) console.log(`| ratio bench / bench before (paired) | ${f2(overBefore.median)}× | ${f2(overBefore.min)}× | ${f2(overBefore.max)}× |`);
  console.log(`| ratio per client CPU-second, bench / autocannon (paired) | ${f2(perCpu.median)}× | ${f2(perCpu.min)}× | ${f2(perCpu.max)}× |`);
  if (perCpuBefore !== null) console.log(`| ratio per client CPU-second, bench / bench before (paired) | ${f2(perCpuBefore.median)}× | ${f2(perCpuBefore.min)}× | ${f2(perCpuBefore.max)}× |`);
  const cpu = quantiles(ours.map((r) => r.cpu));
  const loop = quantiles(ours.map((r) => r.loopP99 ?? 0));
  console.log(`bench client_cpu_pct median ${f2(cpu.median)} %, client_loop_delay_ms p99 median ${f2(loop.median)} ms; errors: bench ${ours.reduce((n, r) => n + r.errors, 0)}, autocannon ${theirs.reduce((n, r) => n + r.errors, 0)}`);
  recordRatioGoal({
    goal: `\`bench\` requests/s ÷ autocannon's at -c ${CONNECTIONS}`,
    unit: 'requests/s',
    figure: round(b.median, 0),
    baseline: round(a.median, 0),
    baseline_name: `autocannon -c ${CONNECTIONS}`,
    ratio: round(ratios.median),
    note:
      `paired median of ${RUNS} rounds; per client CPU-second ${f2(perCpu.median)}× autocannon; plain undici Agent ${f2(undiciOverAutocannon.median)}× autocannon` +
      (overBefore === null ? '' : `; ${f2(overBefore.median)}× the build before (per CPU-second ${f2(perCpuBefore!.median)}×)`),
  });
  recordRatioGoal({
    goal: `\`bench\` requests per client CPU-second ÷ autocannon's at -c ${CONNECTIONS} (whole process, start-up and report included)`,
    unit: 'requests/CPU-s',
    figure: round(bc.median, 0),
    baseline: round(ac.median, 0),
    baseline_name: `autocannon -c ${CONNECTIONS}`,
    ratio: round(perCpu.median),
    note: `plain undici Agent ${f0(uc.median)} requests/CPU-s` + (bbc === null ? '' : `; the build before ${f0(bbc.median)} (${f2(perCpuBefore!.median)}× paired)`),
  });
  return {
    connections: CONNECTIONS,
    bench_requests_per_s: b,
    bench_before_requests_per_s: bb,
    autocannon_requests_per_s: a,
    undici_baseline_requests_per_s: u,
    ratio_bench_over_autocannon: ratios,
    ratio_bench_over_undici_baseline: ratiosUndici,
    ratio_undici_baseline_over_autocannon: undiciOverAutocannon,
    ratio_bench_over_before: overBefore,
    requests_per_client_cpu_s: { bench: bc, autocannon: ac, undici: uc, before: bbc },
    ratio_per_cpu_bench_over_autocannon: perCpu,
    ratio_per_cpu_bench_over_before: perCpuBefore,
    bench_client_cpu_pct: cpu,
    bench_client_loop_delay_p99_ms: loop,
  };
}
