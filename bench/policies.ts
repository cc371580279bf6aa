/**
 * `npm run bench:policies`: targets 1 and 2 of the performance suite, in one run.
 * 1. Hold time of each flush policy (`hold_ms` = t − t_src, p99) and first-chunk latency at
 *    c = 1, 10, 100 concurrent streams (target: adaptive ≤ 1 ms p99).
 * 2. The guide's table: improvement of first-chunk latency guide-before → guide-after and
 *    guide-before → adaptive, against the guide's claimed −65 %.
 * One embedded server process with --allow-policy-override; the guide's ping (20 tokens 20 ms
 * apart); RUNS runs per cell, interleaved across policies; medians with min–max.
 * BEFORE_BIN=path/to/bin/notebook-stream.js adds `adaptive` served by that (older) build, in the
 * same rounds: the baseline of a change to the adaptive rule (issue 31).
 */
import { recordGoal } from './lib/goals.js';
import { startServe, type ServeProcess } from './lib/serve-process.js';
import { runBenchCli, stat } from './lib/run-bench-cli.js';
import { median, round, spread } from './lib/stats.js';
import { writeResult } from './lib/write-result.js';

const RUNS = Number(process.env['RUNS'] ?? 5);
const LEVELS = (process.env['LEVELS'] ?? '1,10,100').split(',').map(Number);
const BEFORE_BIN = process.env['BEFORE_BIN'];
const POLICIES = ['guide-before', 'guide-after', 'adaptive', ...(BEFORE_BIN === undefined ? [] : ['adaptive (before)'])];
const BODY = JSON.stringify({ notebook_id: 'perf', operation: { type: 'ping', count: 20, interval_ms: 20 }, lang: 'en' });

interface Cell {
  policy: string;
  c: number;
  hold_p99: number[];
  first_content_p50: number[];
  first_content_p99: number[];
  writes_per_event: number[];
}

const server = await startServe(['--allow-policy-override', '--max-streams', '100000']);
let beforeServer: ServeProcess | null = null;
const cells: Cell[] = [];
try {
  if (BEFORE_BIN !== undefined) beforeServer = await startServe(['--allow-policy-override', '--max-streams', '100000'], 30_000, BEFORE_BIN);
  for (const c of LEVELS) {
    const row = POLICIES.map((policy) => ({ policy, c, hold_p99: [] as number[], first_content_p50: [] as number[], first_content_p99: [] as number[], writes_per_event: [] as number[] }));
    for (let run = 0; run < RUNS; run++) {
      // Rotate the order every run so drift in machine load hits every policy alike.
      for (let k = 0; k < POLICIES.length; k++) {
        const cell = row[(k + run) % POLICIES.length]!;
        const old = cell.policy === 'adaptive (before)';
        const cfg = await runBenchCli([
          `${(old ? beforeServer! : server).url}/send_operation`,
          '-c', String(c), '-n', String(Math.max(c * 2, 10)), '--warmup', String(Math.min(c, 10)),
          '--body', BODY, '-H', `x-nbs-flush-policy: ${old ? 'adaptive' : cell.policy}`,
        ]);
        cell.hold_p99.push(stat(cfg, 'hold_ms', 'p99') ?? NaN);
        cell.first_content_p50.push(stat(cfg, 'first_content_ms', 'p50') ?? NaN);
        cell.first_content_p99.push(stat(cfg, 'first_content_ms', 'p99') ?? NaN);
        cell.writes_per_event.push((stat(cfg, 'writes_per_stream', 'mean') ?? NaN) / (stat(cfg, 'events_per_stream', 'mean') ?? NaN));
      }
    }
    cells.push(...row);
  }
} finally {
  await Promise.all([server.stop(), beforeServer?.stop()]);
}

const fmt = (xs: number[]) => `${round(median(xs))} (${round(spread(xs).min)}–${round(spread(xs).max)})`;
const lines = ['| c | policy | hold_ms p99 | first_content_ms p50 | first_content_ms p99 | writes per event |', '|---:|---|---:|---:|---:|---:|'];
for (const x of cells) lines.push(`| ${x.c} | ${x.policy} | ${fmt(x.hold_p99)} | ${fmt(x.first_content_p50)} | ${fmt(x.first_content_p99)} | ${fmt(x.writes_per_event)} |`);
const at1 = (p: string) => median(cells.find((x) => x.c === LEVELS[0] && x.policy === p)!.first_content_p50);
const before = at1('guide-before');
const change = (p: string) => round(((at1(p) - before) / before) * 100, 1);
const adaptiveHold = cells.filter((x) => x.policy === 'adaptive').map((x) => ({ c: x.c, hold_p99: round(median(x.hold_p99), 3) }));
lines.push('', `guide's table at c=${LEVELS[0]}: guide-before → guide-after ${change('guide-after')} %, guide-before → adaptive ${change('adaptive')} % (guide claims −65 %)`);
lines.push(`target 1, adaptive hold_ms p99 ≤ 1 ms: ${adaptiveHold.map((h) => `c=${h.c} ${h.hold_p99} ms ${h.hold_p99 <= 1 ? 'met' : 'missed'}`).join(', ')}`);
process.stdout.write(`${lines.join('\n')}\n(${RUNS} runs per cell, medians with min–max)\n`);
process.stdout.write(`wrote ${writeResult('policies', { command: 'npm run bench:policies', runs: RUNS, levels: LEVELS, cells, guide_table: { before_ms: before, after_pct: change('guide-after'), adaptive_pct: change('adaptive') }, adaptive_hold: adaptiveHold })}\n`);

const top = Math.max(...LEVELS);
const cellAt = (policy: string) => cells.find((x) => x.c === top && x.policy === policy);
const now = cellAt('adaptive')!;
const old = cellAt('adaptive (before)');
const holdNow = round(median(now.hold_p99), 3);
const holdOld = old === undefined ? NaN : round(median(old.hold_p99), 3);
recordGoal({
  goal: `adaptive \`hold_ms\` p99 at c = ${top}`,
  unit: 'ms',
  figure: holdNow,
  baseline: holdOld,
  baseline_name: old === undefined ? 'none (set BEFORE_BIN)' : 'adaptive of the build before (BEFORE_BIN)',
  ratio: round(holdNow / holdOld),
  target: '≤ 1 ms',
  met: holdNow <= 1,
  note: `writes per event ${round(median(now.writes_per_event), 3)}` + (old === undefined ? '' : ` (before ${round(median(old.writes_per_event), 3)})`),
});
