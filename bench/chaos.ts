/**
 * `npm run bench:chaos`: the reliability suite of issue 25, each part against a fresh `serve`
 * process, one table at the end (docs/performance.md keeps it with date, machine and commit):
 * - fuzz: FUZZ (2,000) mutated requests; share of 4xx and 5xx, and crashes (serve died or a
 *   connection was cut without an answer);
 * - drops: DROPS (1,000) clients that leave after the response headers, on HTTP/1.1, h2c and TLS
 *   h2; streams still active 1 s after the last drop (leaked);
 * - slow readers: SLOW (500) clients that never read, each asking for 1 MiB tokens; peak RSS, and
 *   RSS once they closed;
 * - kill -9 of a serve with two live kernels: its processes still alive 10 s later (needs
 *   jupyter-server);
 * - SIGTERM with 100 open streams: share that got `done` status `shutdown`;
 * - SOAK_MIN=N adds N minutes at 50 concurrent streams with RSS sampled ten times (slope per minute).
 * Not a test: nothing here asserts; a row that misses its target says so.
 */
import { readFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { startServe, type ServeProcess } from './lib/serve-process.js';
import { alive, descendants } from '../test/helpers/process-tree.js';
import { hasCommand } from '../test/helpers/system.js';
import { makeSelfSignedCert } from '../test/helpers/tls-cert.js';
import { writeResult } from './lib/write-result.js';

const FUZZ = Number(process.env['FUZZ'] ?? 2000);
const DROPS = Number(process.env['DROPS'] ?? 1000);
const SLOW = Number(process.env['SLOW'] ?? 500);
const SOAK_MIN = Number(process.env['SOAK_MIN'] ?? 0);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const mb = (b: number) => Math.round(b / 1e5) / 10;
const ping = (op: Record<string, unknown>) => JSON.stringify({ notebook_id: 'chaos', operation: { type: 'ping', ...op } });

interface Row {
  check: string;
  result: string;
  target: string;
  /** null: the check did not run (a component is missing, too few samples). */
  met: boolean | null;
}
const rows: Row[] = [];

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
}

interface Health {
  streams: { active: number; outcomes: Record<string, number> };
}
async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(120_000) });
  return (await res.json()) as Health;
}
/** /healthz over HTTP/2 (an h2c server speaks nothing else; fetch would wait forever). */
function h2health(url: string, ca?: Buffer): Promise<Health> {
  return new Promise((resolve, reject) => {
    const session = h2connect(url, ca === undefined ? {} : { ca });
    session.on('error', reject);
    const req = session.request({ ':path': '/healthz' });
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (text += d));
    req.on('end', () => {
      session.close();
      resolve(JSON.parse(text) as Health);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Raw HTTP/1.1 exchange: resolves with the status (0: closed without one) once the server closed or `ms` passed. */
function rawStatus(url: string, head: string, body: string, ms: number): Promise<number> {
  const { host, port } = hostPort(url);
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let got = '';
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve(m === null ? 0 : Number(m[1]));
    };
    const timer = setTimeout(done, ms);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.length > 12) done();
    });
    s.on('error', done);
    s.on('close', done);
    s.write(head + body);
  });
}

// ---------------------------------------------------------------- fuzz
const FIELDS = ['notebook_id', 'operation', 'lang', 'type', 'count', 'interval_ms', 'token', '__proto__', 'constructor', 'toString'];
const VALUES: unknown[] = [null, true, 0, -1, 1.5, 1e300, '', 'x', '中文', [], {}, [[[[]]]], 'ping', 'replay', 'chat', 'execute', '__proto__', 'constructor', 2 ** 53];
function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)] as T;
}
function fuzzBody(): string {
  const r = Math.random();
  if (r < 0.1) return pick(['', '{', '[', 'null', '"x"', '{"a":', '\u0000', '{}'.repeat(100)]);
  if (r < 0.15) return '['.repeat(1000 + Math.floor(Math.random() * 100_000));
  const env: Record<string, unknown> = { notebook_id: 'fz', operation: { type: 'ping', count: 2, interval_ms: 0 } };
  for (let i = 0; i < 1 + Math.floor(Math.random() * 3); i++) {
    const target = Math.random() < 0.6 ? (env['operation'] as Record<string, unknown>) : env;
    if (typeof target !== 'object' || target === null) break;
    target[pick(FIELDS)] = pick(VALUES);
  }
  return JSON.stringify(env);
}
async function fuzz(): Promise<void> {
  const serve = await startServe(['--max-streams', '200']);
  const counts = { '2xx': 0, '4xx': 0, '5xx': 0, crash: 0 };
  const methods = ['POST', 'POST', 'POST', 'GET', 'PUT', 'OPTIONS', 'HEAD'];
  const paths = ['/send_operation', '/send_operation', '/send_operation', '/healthz', '/metrics', '/x', '/send_operation?x=1'];
  const types = ['application/json', 'application/json', 'text/plain', 'application/json; charset=latin1', ''];
  let next = 0;
  const worker = async () => {
    while (next < FUZZ) {
      next++;
      const body = fuzzBody();
      const type = pick(types);
      const head =
        `${pick(methods)} ${pick(paths)} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n` +
        (type === '' ? '' : `content-type: ${type}\r\n`) +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
      const status = await rawStatus(serve.url, head, body, 5000);
      if (status === 0) counts.crash++;
      else if (status >= 500) counts['5xx']++;
      else if (status >= 400) counts['4xx']++;
      else counts['2xx']++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const died = serve.child.exitCode !== null;
  await serve.stop();
  const share = (n: number) => `${Math.round((n / FUZZ) * 1000) / 10} %`;
  rows.push({
    check: `fuzz: ${FUZZ} mutated requests`,
    result: `2xx ${share(counts['2xx'])}, 4xx ${share(counts['4xx'])}, 5xx ${share(counts['5xx'])}, crashes ${counts.crash}${died ? ', serve died' : ''}`,
    target: 'no 5xx, no crash',
    met: counts['5xx'] === 0 && counts.crash === 0 && !died,
  });
}

// ---------------------------------------------------------------- drops
async function drops(kind: 'HTTP/1.1' | 'h2c' | 'TLS h2', args: string[], ca?: Buffer): Promise<void> {
  const serve = await startServe(['--stall-timeout-s', '60', ...args]);
  const body = ping({ count: 1000, interval_ms: 100 });
  let next = 0;
  let failed = 0;
  const one = async () => {
    if (kind === 'HTTP/1.1') {
      const { host, port } = hostPort(serve.url);
      await new Promise<void>((resolve) => {
        const s: Socket = connect({ host, port });
        const timer = setTimeout(() => (failed++, s.destroy(), resolve()), 10_000);
        s.on('error', () => undefined);
        s.once('data', () => (clearTimeout(timer), s.destroy(), resolve()));
        s.write(`POST /send_operation HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      });
      return;
    }
    const session = h2connect(serve.url, ca === undefined ? {} : { ca });
    session.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      const req = session.request({ ':method': 'POST', ':path': '/send_operation', 'content-type': 'application/json' });
      const timer = setTimeout(() => (failed++, session.destroy(), resolve()), 10_000);
      req.on('error', () => undefined);
      req.once('response', () => {
        clearTimeout(timer);
        // Alternate the ways a client goes away: RST_STREAM, or the whole session.
        if (next % 2 === 0) {
          req.close(0x8);
          session.close();
        } else {
          session.destroy();
        }
        resolve();
      });
      req.end(body);
    });
  };
  const worker = async () => {
    while (next < DROPS) {
      next++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  await sleep(1000);
  const h = kind === 'HTTP/1.1' ? await health(serve.url) : await h2health(serve.url, ca);
  await serve.stop();
  rows.push({
    check: `drops: ${DROPS} clients leave after the headers, ${kind}`,
    result: `${h.streams.active} leaked after 1 s (client_closed ${h.streams.outcomes['client_closed'] ?? 0}${failed > 0 ? `, ${failed} got no headers` : ''})`,
    target: '0 leaked',
    met: h.streams.active === 0,
  });
}

// ---------------------------------------------------------------- slow readers
async function slowReaders(): Promise<void> {
  const serve = await startServe([]);
  const pid = serve.child.pid as number;
  const start = rssOf(pid);
  const body = ping({ count: 1000, interval_ms: 0, token: 1_048_576 });
  const { host, port } = hostPort(serve.url);
  const sockets: Socket[] = [];
  for (let i = 0; i < SLOW; i++) {
    const s = connect({ host, port });
    s.on('error', () => undefined);
    s.write(`POST /send_operation HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    s.pause();
    sockets.push(s);
  }
  let peak = start;
  const until = performance.now() + 10_000;
  while (performance.now() < until) {
    peak = Math.max(peak, rssOf(pid));
    await sleep(100);
  }
  const h = await health(serve.url);
  peak = Math.max(peak, rssOf(pid));
  for (const s of sockets) s.destroy();
  await sleep(3000);
  const final = rssOf(pid);
  await serve.stop();
  rows.push({
    check: `slow readers: ${SLOW} clients never read 1 MiB tokens`,
    result: `RSS ${mb(start)} → peak ${mb(peak)} MB, ${mb(final)} MB after they closed (overflow ${h.streams.outcomes['overflow'] ?? 0}, timeout ${h.streams.outcomes['timeout'] ?? 0})`,
    target: 'peak < 300 MB',
    met: peak < 300e6,
  });
}

// ---------------------------------------------------------------- kill -9 with kernels
async function killNine(): Promise<void> {
  if (!hasCommand('jupyter-server')) {
    rows.push({ check: 'kill -9 of serve with live kernels', result: 'skipped: jupyter-server not installed', target: '0 left after 10 s', met: null });
    return;
  }
  const serve = await startServe(['--jupyter', 'eager'], 120_000);
  for (const nb of ['a', 'b']) {
    const res = await fetch(`${serve.url}/send_operation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ notebook_id: nb, operation: { type: 'execute', code: '1' } }),
      signal: AbortSignal.timeout(120_000),
    });
    await res.text();
  }
  const pid = serve.child.pid as number;
  const tree = descendants(pid).map((d) => d.pid);
  process.kill(pid, 'SIGKILL');
  await sleep(10_000);
  const left = tree.filter(alive);
  for (const p of left) process.kill(p, 'SIGKILL');
  rows.push({ check: 'kill -9 of serve with 2 live kernels', result: `${left.length} of ${tree.length} processes left after 10 s`, target: '0 left', met: left.length === 0 });
}

// ---------------------------------------------------------------- SIGTERM with open streams
async function sigterm(): Promise<void> {
  const serve = await startServe(['--grace-s', '5']);
  const { host, port } = hostPort(serve.url);
  const body = ping({ count: 1000, interval_ms: 50 });
  const statuses = await new Promise<string[]>((resolve) => {
    const out: string[] = [];
    let open = 0;
    for (let i = 0; i < 100; i++) {
      const s = connect({ host, port });
      let text = '';
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => {
        if (text === '') open++;
        text += d.toString('utf8');
      });
      s.on('close', () => {
        const m = /"status":"(\w+)"/.exec(text.slice(text.lastIndexOf('event: done')));
        out.push(m?.[1] ?? 'none');
        if (out.length === 100) resolve(out);
      });
      s.write(`POST /send_operation HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    }
    // Signal once every stream is open (polled: the last socket to get data need not be the 100th).
    const poll = setInterval(() => {
      if (open >= 100) {
        clearInterval(poll);
        serve.child.kill('SIGTERM');
      }
    }, 20);
    setTimeout(() => clearInterval(poll), 60_000).unref();
  });
  await serve.stop();
  const n = statuses.filter((s) => s === 'shutdown').length;
  rows.push({ check: 'SIGTERM with 100 open streams', result: `${n} % got done status shutdown`, target: '100 %', met: n === 100 });
}

// ---------------------------------------------------------------- soak
async function soak(minutes: number): Promise<void> {
  const serve: ServeProcess = await startServe([]);
  const pid = serve.child.pid as number;
  const samples: number[] = [rssOf(pid)];
  const end = performance.now() + minutes * 60_000;
  let streams = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const res = await fetch(`${serve.url}/send_operation`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ping({ count: 200, interval_ms: 5 }) });
      await res.text();
      streams++;
    }
  };
  // Ten samples whatever the length: a slope needs more than the first and last.
  const everyMs = (minutes * 60_000) / 10;
  const sampler = setInterval(() => samples.push(rssOf(pid)), everyMs);
  await Promise.all(Array.from({ length: 50 }, worker));
  clearInterval(sampler);
  await serve.stop();
  // Least-squares slope of RSS per sample, then per minute.
  const n = samples.length;
  const mx = (n - 1) / 2;
  const my = samples.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  samples.forEach((y, x) => ((num += (x - mx) * (y - my)), (den += (x - mx) ** 2)));
  const perMin = den === 0 ? 0 : (num / den) * (60_000 / everyMs);
  rows.push({
    check: `soak: ${minutes} min at 50 concurrent streams (${streams} streams)`,
    result: `RSS ${samples.map(mb).join(', ')} MB; slope ${mb(perMin)} MB/min`,
    target: 'slope ≈ 0',
    met: n < 3 ? null : Math.abs(perMin) < 1e6,
  });
}


const only = process.env['ONLY']?.split(',');
const want = (name: string) => only === undefined || only.includes(name);
if (want('fuzz')) await fuzz();
if (want('drops')) {
  await drops('HTTP/1.1', []);
  await drops('h2c', ['--http2']);
  const tls = hasCommand('openssl') ? makeSelfSignedCert() : undefined;
  if (tls === undefined) rows.push({ check: 'drops: TLS h2', result: 'skipped: openssl not installed', target: '0 leaked', met: null });
  else await drops('TLS h2', ['--tls-cert', tls.certFile, '--tls-key', tls.keyFile], tls.cert);
}
if (want('slow')) await slowReaders();
if (want('kill')) await killNine();
if (want('sigterm')) await sigterm();
if (SOAK_MIN > 0) await soak(SOAK_MIN);

const lines = ['| check | result | target | met |', '|---|---|---|---|'];
for (const r of rows) lines.push(`| ${r.check} | ${r.result} | ${r.target} | ${r.met === null ? 'skipped' : r.met ? 'yes' : '**no**'} |`);
process.stdout.write(`${lines.join('\n')}\n`);
process.stdout.write(`wrote ${writeResult('chaos', { command: 'npm run bench:chaos', fuzz: FUZZ, drops: DROPS, slow: SLOW, soak_min: SOAK_MIN, rows })}\n`);
