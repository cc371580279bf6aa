import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The CLI entry point, as a user runs it. */
export const BIN = fileURLToPath(new URL('../../../bin/notebook-stream.js', import.meta.url));

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then SIGKILL after `ms`; resolves with the exit code. */
  stop(ms?: number): Promise<number | null>;
}

/**
 * Runs `notebook-stream serve --port 0 ARGS` (or `upstream`, which prints its URL line the same
 * way) and waits for its URL line (bounded by `timeoutMs`); `env` is added to this process's.
 */
export function startServeProcess(
  args: string[] = [],
  timeoutMs = 15_000,
  command: 'serve' | 'upstream' = 'serve',
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  return startUrlProcess([command, '--port', '0', ...args], timeoutMs, env);
}

/** Runs a CLI command that prints its URL as its first stdout line (serve, upstream, monitor) and waits for it. */
export async function startUrlProcess(args: string[], timeoutMs = 15_000, env: Record<string, string> = {}): Promise<ServeProcess> {
  const name = args[0] ?? 'notebook-stream';
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = once(child, 'exit');
  const stop = async (ms = 10_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    const [code] = (await exited) as [number | null];
    clearTimeout(timer);
    return code;
  };
  const deadline = Date.now() + timeoutMs;
  while (!out.includes('\n')) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode} before printing its URL: ${err}`);
    if (Date.now() > deadline) {
      await stop(1000);
      throw new Error(`${name} printed no URL within ${timeoutMs} ms: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { url: out.split('\n')[0] as string, child, stdout: () => out, stderr: () => err, stop };
}

/** Runs the CLI to completion; resolves with exit code and output (killed after `timeoutMs`). */
export async function runCli(
  args: string[],
  timeoutMs = 30_000,
  env: Record<string, string> = {},
  opts: { cwd?: string; unset?: readonly string[] } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of opts.unset ?? []) delete base[name];
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...base, ...env },
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}
