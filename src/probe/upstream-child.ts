import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UnavailableError } from '../errors.js';

/** dist/src/probe/ → bin/notebook-stream.js at the package root. */
const BIN = fileURLToPath(new URL('../../../bin/notebook-stream.js', import.meta.url));

export interface UpstreamChild {
  /** The API base, `http://127.0.0.1:PORT/v1`. */
  url: string;
  stop(): Promise<void>;
}

/**
 * `notebook-stream upstream --port 0 --quiet` in its own process (never in the measuring event
 * loop), for `compare --source chat` with no `--llm-base-url`. Resolves with the one stdout line.
 */
export function startUpstreamChild(timeoutMs = 20_000): Promise<UpstreamChild> {
  const child = spawn(process.execPath, [BIN, 'upstream', '--port', '0', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
  const stop = (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new UnavailableError(`replay upstream: ${why}${stderr.trim() === '' ? '' : `: ${stderr.trim().split('\n').slice(-2).join(' | ')}`}`));
    };
    const timer = setTimeout(() => fail(`no URL on stdout within ${timeoutMs} ms`), timeoutMs);
    child.on('error', (err) => fail(err.message));
    child.on('exit', (code, signal) => {
      if (!out.includes('\n')) fail(`exited (${signal ?? `code ${code}`}) before printing its URL`);
    });
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      if (out.includes('\n')) return;
      out += s;
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      resolve({ url: out.slice(0, nl).trim(), stop });
    });
  });
}
