import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Report, ReportConfiguration } from '../../src/model/report.js';

const BIN = fileURLToPath(new URL('../../../bin/notebook-stream.js', import.meta.url));

/**
 * Runs `notebook-stream bench ARGS --json --no-out` in its own process (the client never shares
 * a CPU budget with the script) and returns its one configuration. Exit 1 (a gate) is fine here;
 * anything else is an error with the tail of stderr.
 */
export async function runBenchCli(args: readonly string[], timeoutMs = 600_000, onChild?: (pid: number) => void): Promise<ReportConfiguration> {
  const child = spawn(process.execPath, [BIN, 'bench', ...args, '--json', '--no-out', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) onChild?.(child.pid);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  if (code !== 0 && code !== 1) throw new Error(`bench ${args.join(' ')} exited ${code}: ${err.trim()}`);
  const report = JSON.parse(out) as Report;
  return report.configurations[0] as ReportConfiguration;
}

export function stat(c: ReportConfiguration, metric: string, s: 'p50' | 'p90' | 'p99' | 'max' | 'mean' = 'p50'): number | null {
  return c.metrics[metric]?.[s] ?? null;
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat (Linux). */
export async function processCpuSeconds(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Peak resident memory of a process in bytes (VmHWM), from /proc/PID/status. */
export async function processPeakRss(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m === null ? NaN : Number(m[1]) * 1024;
}
