/**
 * A real nginx for tests: its own prefix directory (mkdtemp), its own config, loopback ports only.
 * `startNginx({ config })` wraps the given http {} body in a complete nginx.conf, starts nginx in
 * the foreground, waits until it accepts connections and returns `{ port, stop() }`.
 * Reused by every test that puts nginx in front of serve (config, doctor).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { missingComponent } from './system.js';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

/** Path of the nginx binary, or null when it is not installed. */
export function findNginx(): string | null {
  for (const path of CANDIDATES) {
    if (spawnSync(path, ['-v']).status === 0) return path;
  }
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found !== '' ? found : null;
}

/**
 * nginx, or skip the test with a reason (`missingComponent`: a failure in CI, where the proxy tests
 * are the only proof that the generated config works).
 */
export function requireNginx(t: TestContext): string | null {
  const nginx = findNginx();
  if (nginx !== null) return nginx;
  missingComponent(t, 'nginx is not installed (Debian: apt-get install nginx)');
  return null;
}

/** A free loopback port: listen on 0, read the port, close. nginx then binds it itself. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from listen(0)');
  return address.port;
}

export interface NginxOptions {
  /** The body of http {}: one or more server blocks; gets the port nginx should listen on. */
  config: (port: number) => string;
  /** nginx binary (default: findNginx()). */
  nginx?: string;
}

export interface RunningNginx {
  port: number;
  /** The prefix directory (nginx.conf, error.log, temp dirs). */
  prefix: string;
  stop(): Promise<void>;
  /** The error log so far (for assertion messages). */
  errorLog(): Promise<string>;
}

/** The whole nginx.conf around an http {} body: everything private to `prefix`. */
export function wrapHttp(prefix: string, httpBody: string): string {
  return [
    'worker_processes 1;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'error.log')} info;`,
    'events { worker_connections 256; }',
    'http {',
    '    access_log off;',
    `    client_body_temp_path ${join(prefix, 'client_body')};`,
    `    proxy_temp_path ${join(prefix, 'proxy')};`,
    `    fastcgi_temp_path ${join(prefix, 'fastcgi')};`,
    `    uwsgi_temp_path ${join(prefix, 'uwsgi')};`,
    `    scgi_temp_path ${join(prefix, 'scgi')};`,
    httpBody,
    '}',
    '',
  ].join('\n');
}

async function makePrefix(): Promise<string> {
  const prefix = await mkdtemp(join(tmpdir(), 'nbs-nginx-'));
  // Workers run as `nobody` when the tests run as root: they must be able to enter the prefix.
  await chmod(prefix, 0o755);
  return prefix;
}

/** `nginx -t` on an http {} body: `{ ok, output }` (output is nginx's stderr). */
export async function testNginxConfig(httpBody: string, nginx = findNginx()): Promise<{ ok: boolean; output: string }> {
  if (nginx === null) throw new Error('nginx is not installed');
  const prefix = await makePrefix();
  try {
    const conf = join(prefix, 'nginx.conf');
    await writeFile(conf, wrapHttp(prefix, httpBody));
    const r = spawnSync(nginx, ['-t', '-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    await rm(prefix, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether nginx wrote `prefix`/nginx.pid with `pid`: it does so once its listen sockets are bound. */
async function pidFileIs(prefix: string, pid: number | undefined): Promise<boolean> {
  const text = await readFile(join(prefix, 'nginx.pid'), 'utf8').catch(() => '');
  return pid !== undefined && text.trim() === String(pid);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts nginx in the foreground on a free loopback port; call stop() in t.after. The port is free
 * when picked but another test may take it before nginx binds: then it tries a new one (5 tries).
 * A lost race is recognised from nginx's own "bind() ... failed (98: Address already in use)" line
 * at once (nginx itself retries the bind for ~2.5 s before it exits); the port is trusted only
 * once nginx has written its pid file (after binding), since whoever took it accepts there too.
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const nginx = options.nginx ?? findNginx();
  if (nginx === null) throw new Error('nginx is not installed');
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(nginx, options);
    } catch (err) {
      if (attempt >= 5 || !(err instanceof Error) || !/Address already in use/.test(err.message)) throw err;
    }
  }
}

async function startOnce(nginx: string, options: NginxOptions): Promise<RunningNginx> {
  const prefix = await makePrefix();
  const port = await freePort();
  const conf = join(prefix, 'nginx.conf');
  await writeFile(conf, wrapHttp(prefix, options.config(port)));
  let stderr = '';
  const child = spawn(nginx, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const errorLog = () => readFile(join(prefix, 'error.log'), 'utf8').catch(() => '');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM'); // fast shutdown: the master stops its workers
      const killed = await Promise.race([exited(child).then(() => true), sleep(5000, false, { ref: false })]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited(child);
      }
    }
    await rm(prefix, { recursive: true, force: true });
  };
  const lostPortRace = async (): Promise<string | null> => {
    const log = `${stderr}${await errorLog()}`;
    return /bind\(\) to \S+ failed \(98: Address already in use\)/.test(log) ? log : null;
  };
  // Bounded wait: 15 s for nginx to accept (a loaded machine starts it slowly).
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = await errorLog();
      await stop();
      throw new Error(`nginx exited at start (code ${child.exitCode}):\n${stderr}${log}`);
    }
    const lost = await lostPortRace();
    if (lost !== null) {
      await stop();
      throw new Error(`nginx could not bind 127.0.0.1:${port}: Address already in use:\n${lost}`);
    }
    // Accepting is not enough (whoever won the port race accepts too): nginx writes its pid file
    // only after it has bound every listen socket.
    if ((await accepts(port)) && (await pidFileIs(prefix, child.pid))) return { port, prefix, stop, errorLog };
    await sleep(25);
  }
  const log = await errorLog();
  await stop();
  throw new Error(`nginx did not accept on 127.0.0.1:${port} within 15 s:\n${stderr}${log}`);
}
