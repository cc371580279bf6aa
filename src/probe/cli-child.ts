import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Environment } from '../model/environment.js';
import { UnavailableError } from '../model/errors.js';
import { packageRoot } from '../paths.js';

/** bin/notebook-stream.js at the package root (from dist/src/ or from the CLI bundle in dist/cli/). */
const BIN = join(packageRoot(), 'bin', 'notebook-stream.js');

/** A notebook-stream command running in its own process (never in the measuring event loop). */
export interface CliChild {
  /** The one stdout line the contract promises (`serve`: its URL; `upstream`: its API base). */
  url: string;
  child: ChildProcess;
  /** SIGTERM, SIGKILL after 5 s; resolves once it exited. */
  stop(): Promise<void>;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts `notebook-stream ARGS` and waits for its URL line. A child that exits, stays silent or
 * prints something else is "nothing to measure" (exit 3), named by `label`, with its last stderr.
 * `env`: the child's environment (the CLI passes its own), NO_COLOR added.
 */
export function startCliChild(args: readonly string[], label: string, env: Environment, timeoutMs = 20_000): Promise<CliChild> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
  return new Promise((resolve, reject) => {
    let out = '';
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      reject(new UnavailableError(`${label}: ${why}${tail === '' ? '' : `: ${tail}`}`));
    };
    const timer = setTimeout(() => fail(`no URL on stdout within ${timeoutMs} ms`), timeoutMs);
    child.on('error', (err) => fail(err.message));
    child.on('exit', (code, signal) => {
      if (!out.includes('\n')) fail(`exited (${signal ?? `code ${code}`}) before printing its URL`);
    });
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      if (settled) return;
      out += s;
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      const url = out.slice(0, nl).trim();
      if (!/^https?:\/\//.test(url)) {
        fail(`printed '${url}' where its URL was expected`);
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve({ url, child, stop: () => stopChild(child) });
    });
  });
}
