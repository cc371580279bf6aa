/**
 * `notebook-stream serve` as a child process, the way an operator runs it: started with
 * `--port 0`, its one stdout line read as the URL, stopped with SIGTERM (SIGKILL after a bound).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export const BIN = fileURLToPath(new URL('../../../bin/notebook-stream.js', import.meta.url));

export interface RunningServe {
  url: string;
  port: number;
  /** Everything serve wrote to stderr so far (its JSON log lines). */
  stderr(): string;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startServe(args: readonly string[] = []): Promise<RunningServe> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([exited(child).then(() => true), sleep(10_000, false, { ref: false })]);
      if (!done) {
        child.kill('SIGKILL');
        await exited(child);
      }
    }
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 10 s; stderr:\n${err}`)), 10_000);
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before printing its URL; stderr:\n${err}`));
    });
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { url, port: Number(new URL(url).port), stderr: () => err, stop };
}
