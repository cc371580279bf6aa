import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

/** The facts a figure in docs/performance.md needs: date, machine, commit. */
export function runFacts(): Record<string, unknown> {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    commit,
    machine: { nproc: os.availableParallelism(), cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown', node: process.version },
  };
}

/** Writes reports/NAME-<timestamp>.json and returns its path. */
export function writeResult(name: string, result: Record<string, unknown>): string {
  mkdirSync('reports', { recursive: true });
  const file = join('reports', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ ...runFacts(), ...result }, null, 2)}\n`);
  return file;
}
