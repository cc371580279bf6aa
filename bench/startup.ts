/**
 * `npm run bench:startup`: wall time of `notebook-stream --version` and `--help` against `node -e 0`
 * (target: ≤ 1.5×), interleaved so machine noise hits all three alike. Medians of RUNS runs per
 * command, with min–max. Writes reports/startup-*.json. Every figure comes from this run.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, round, spread } from './lib/stats.js';
import { writeResult } from './lib/write-result.js';

const RUNS = Number(process.env['RUNS'] ?? 30);
const BIN = fileURLToPath(new URL('../../bin/notebook-stream.js', import.meta.url));
const COMMANDS: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'notebook-stream --version': [BIN, '--version'],
  'notebook-stream --help': [BIN, '--help'],
};

function timeOnce(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(COMMANDS).map((k) => [k, []]));
for (const args of Object.values(COMMANDS)) timeOnce(args); // warm the page cache
for (let i = 0; i < RUNS; i++) for (const [name, args] of Object.entries(COMMANDS)) samples[name]!.push(timeOnce(args));

const base = median(samples['node -e 0']!);
const rows = Object.entries(samples).map(([name, xs]) => ({ name, median_ms: round(median(xs)), ...spread(xs), ratio: round(median(xs) / base) }));
const lines = ['| command | median ms | min | max | × node -e 0 |', '|---|---:|---:|---:|---:|'];
for (const r of rows) lines.push(`| ${r.name} | ${r.median_ms} | ${round(r.min)} | ${round(r.max)} | ${r.ratio} |`);
process.stdout.write(`${lines.join('\n')}\n(${RUNS} runs each, interleaved; target ≤ 1.5×)\n`);
process.stdout.write(`wrote ${writeResult('startup', { command: 'npm run bench:startup', runs: RUNS, rows })}\n`);
