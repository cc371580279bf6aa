import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UnavailableError } from '../errors.js';

/** The embedded server, running in its own process (never in the measuring event loop). */
export interface ServeChild {
  url: string;
  stop(): Promise<void>;
}

function withoutToken(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NOTEBOOK_STREAM_TOKEN: _token, ...rest } = env;
  return rest;
}

/** dist/src/probe/ → bin/notebook-stream.js at the package root. */
const BIN = fileURLToPath(new URL('../../../bin/notebook-stream.js', import.meta.url));

/**
 * Starts `notebook-stream serve --port 0 --flush-policy POLICY [EXTRA…]` and waits for the one stdout
 * line the contract promises, its URL. A server that exits or stays silent is "nothing to measure"
 * (3). `compare` passes `--allow-policy-override` as an extra flag.
 */
export function startServeChild(flushPolicy: string, timeoutMs = 20_000, extraArgs: readonly string[] = []): Promise<ServeChild> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--flush-policy', flushPolicy, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Our own server, our own request: a token in the caller's environment would only get 401s.
    env: { ...withoutToken(process.env), NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    stderr = (stderr + s).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      reject(new UnavailableError(`embedded server: ${why}${tail === '' ? '' : `: ${tail}`}`));
    };
    const timer = setTimeout(() => fail(`no URL on stdout within ${timeoutMs} ms`), timeoutMs);
    child.on('error', (err) => fail(err.message));
    child.on('exit', (code, signal) => {
      if (out.includes('\n')) return;
      fail(`exited (${signal ?? `code ${code}`}) before printing its URL`);
    });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => {
      if (out.includes('\n')) return;
      out += s;
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      clearTimeout(timer);
      const url = out.slice(0, nl).trim();
      if (!/^https?:\/\//.test(url)) {
        fail(`printed '${url}' where its URL was expected`);
        return;
      }
      resolve({ url, stop: () => stopChild(child) });
    });
  });
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
