/**
 * `npm run bench`: the whole performance suite, one script after another (never two at once: they
 * would measure each other). Each prints its table of ratios measured side by side in the same
 * run and writes reports/NAME-*.json; docs/performance.md records the figures with their command.
 * Set ONLY=name,name to run a subset. Bounded: the suite fits in 15 minutes on 2 cores.
 * It ends with ONE summary table (issue 31): every goal, today's figure, the baseline measured in
 * the same run, the ratio, met or missed; each script reports its goals through BENCH_GOALS_FILE.
 * BEFORE_BIN=path/to/an/older/bin/notebook-stream.js is passed on: scripts that support it measure
 * that build too, as the baseline of a change.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GoalRow } from './lib/goals.js';
import { runFacts } from './lib/write-result.js';

const SCRIPTS: Array<{ name: string; file: string; target: string; needs?: string }> = [
  { name: 'policies', file: 'policies.js', target: '1, 2: hold time per policy at c = 1, 10, 100; the guide\'s table' },
  { name: 'efficiency', file: 'efficiency.js', target: '3: events per server CPU-second at c = 100 vs a minimal node:http server' },
  { name: 'client', file: 'client-throughput.js', target: '4: requests/s vs autocannon' },
  { name: 'parse', file: 'parse-throughput.js', target: '4: SSE events parsed per second' },
  { name: 'accuracy', file: 'accuracy.js', target: '5: first byte vs curl and injected delays' },
  { name: 'scale', file: 'scale.js', target: '6: 10,000 concurrent streams' },
  { name: 'startup', file: 'startup.js', target: '7: --version and --help vs node -e 0' },
  { name: 'kernel', file: 'kernel.js', target: 'Jupyter: stock vs fixed tuning, kernel wait', needs: 'jupyter-server' },
];

const only = process.env['ONLY']?.split(',');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
let failed = 0;
const goalsDir = mkdtempSync(join(os.tmpdir(), 'nbs-goals-'));
const goalsFile = join(goalsDir, 'goals.jsonl');
for (const s of SCRIPTS) {
  if (only !== undefined && !only.includes(s.name)) continue;
  process.stdout.write(`\n## ${s.name} — target ${s.target}\n\n`);
  if (s.needs !== undefined && !has(s.needs)) {
    process.stdout.write(`skipped: ${s.needs} is not installed\n`);
    continue;
  }
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(`./${s.file}`, import.meta.url))], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_GOALS_FILE: goalsFile },
  });
  process.stdout.write(`(${s.name}: ${Math.round((Date.now() - t0) / 1000)} s, exit ${r.status})\n`);
  if (r.status !== 0) failed++;
}
let goals: GoalRow[] = [];
try {
  goals = readFileSync(goalsFile, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as GoalRow);
} catch {
  // no script reported a goal
}
rmSync(goalsDir, { recursive: true, force: true });
const facts = runFacts() as { date: string; commit: string; machine: { nproc: number; cpu_model: string; node: string } };
const num = (x: number) => (Number.isFinite(x) ? x.toLocaleString('en-US') : '–');
const lines = [
  '',
  `## Summary: the goals of issue 31 (${facts.date}, commit ${facts.commit}, nproc ${facts.machine.nproc}, ${facts.machine.cpu_model}, Node ${facts.machine.node}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`,
  '',
  '| goal | today | baseline (same run) | ratio | target | met? | note |',
  '|---|---:|---|---:|---|---|---|',
];
for (const g of goals) {
  lines.push(`| ${g.goal} | ${num(g.figure)} ${g.unit} | ${num(g.baseline)} (${g.baseline_name}) | ${Number.isFinite(g.ratio) ? `${g.ratio}×` : '–'} | ${g.target} | ${g.met ? 'met' : '**missed**'} | ${g.note ?? ''} |`);
}
if (goals.length === 0) lines.push('| (no goal measured: see the scripts above) | | | | | | |');
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = failed === 0 ? 0 : 1;
