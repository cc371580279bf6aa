/**
 * `npm run bench:startup`: wall time of `notebook-stream --version` and `--help` against `node -e 0`
 * (target: ≤ 1.5×), interleaved so machine noise hits all alike. `--help` runs twice: through the
 * esbuild bundle (dist/cli/, what bin/ runs) and through tsc's output (NOTEBOOK_STREAM_BUNDLE=0),
 * the baseline the bundle is measured against in the same run. Besides wall time, each child's
 * own CPU time (user + system, all threads, from process.cpuUsage() at exit): on a loaded machine
 * wall time mostly measures the wait for a core, CPU time what the start-up costs.
 * Medians of RUNS runs per command, with min–max. Writes reports/startup-*.json.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { recordGoal } from './lib/goals.js';
import { median, round, spread } from './lib/stats.js';
import { writeResult } from './lib/write-result.js';

const RUNS = Number(process.env['RUNS'] ?? 30);
const BIN = fileURLToPath(new URL('../../bin/notebook-stream.js', import.meta.url));
/** Reports the child's CPU time on fd 3 as it exits; loaded alike into every command timed. */
const CPU_PROBE =
  "data:text/javascript,import{writeSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();try{writeSync(3,String((u.user+u.system)/1000))}catch{}})";
const COMMANDS: Record<string, { args: string[]; env?: Record<string, string> }> = {
  'node -e 0': { args: ['-e', '0'] },
  'notebook-stream --version': { args: [BIN, '--version'] },
  'notebook-stream --help': { args: [BIN, '--help'] },
  'notebook-stream --help (tsc output, no bundle)': { args: [BIN, '--help'], env: { NOTEBOOK_STREAM_BUNDLE: '0' } },
};

function timeOnce(cmd: { args: string[]; env?: Record<string, string> }): { wall: number; cpu: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', CPU_PROBE, ...cmd.args], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...cmd.env },
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${cmd.args.join(' ')} exited ${r.status}`);
  return { wall, cpu: Number(r.output[3]?.toString() ?? NaN) };
}

const names = Object.keys(COMMANDS);
const wall: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
const cpu: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
for (const cmd of Object.values(COMMANDS)) timeOnce(cmd); // warm the page cache
for (let i = 0; i < RUNS; i++) {
  // Rotate the order every run so no command always follows the same one.
  for (let k = 0; k < names.length; k++) {
    const name = names[(i + k) % names.length]!;
    const t = timeOnce(COMMANDS[name]!);
    wall[name]!.push(t.wall);
    cpu[name]!.push(t.cpu);
  }
}

const base = median(wall['node -e 0']!);
const baseCpu = median(cpu['node -e 0']!);
const rows = names.map((name) => ({
  name,
  median_ms: round(median(wall[name]!)),
  ...spread(wall[name]!),
  ratio: round(median(wall[name]!) / base),
  cpu_median_ms: round(median(cpu[name]!)),
  cpu_ratio: round(median(cpu[name]!) / baseCpu),
}));
const lines = ['| command | wall median ms | min | max | × node -e 0 | CPU median ms | CPU × node -e 0 |', '|---|---:|---:|---:|---:|---:|---:|'];
for (const r of rows) lines.push(`| ${r.name} | ${r.median_ms} | ${round(r.min)} | ${round(r.max)} | ${r.ratio} | ${r.cpu_median_ms} | ${r.cpu_ratio} |`);
process.stdout.write(`${lines.join('\n')}\n(${RUNS} runs each, interleaved; target ≤ 1.5× in wall time)\n`);
process.stdout.write(`wrote ${writeResult('startup', { command: 'npm run bench:startup', runs: RUNS, rows })}\n`);

const help = rows.find((r) => r.name === 'notebook-stream --help')!;
const unbundled = rows.find((r) => r.name.startsWith('notebook-stream --help (tsc'))!;
recordGoal({
  goal: '`--help` wall time ÷ `node -e 0`',
  unit: 'ms wall',
  figure: help.median_ms,
  baseline: round(base),
  baseline_name: 'node -e 0',
  ratio: help.ratio,
  target: '≤ 1.5×',
  met: help.ratio <= 1.5,
  note: `CPU ${help.cpu_ratio}× node -e 0; unbundled (tsc output) ${unbundled.ratio}× wall, ${unbundled.cpu_ratio}× CPU`,
});
