import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startServer } from '../src/server/serve.js';
import { pendingSourceTimers } from '../src/server/sources/sleep.js';
import { JSON_HEADERS, parseSseBody, pingBody, rawRequest } from './helpers/raw-http.js';
import { BIN, runCli, startServeProcess } from './helpers/serve-process.js';

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  for (let waited = 0; !cond(); waited += 10) {
    if (waited > ms) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a client that disconnects cancels the source at once: its timer is cleared', async (t) => {
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (d: Buffer) => (logText += d.toString()));
  const server = await startServer({ port: 0, logLevel: 'info', logStream: logs });
  t.after(() => server.shutdown(0));
  const before = pendingSourceTimers();
  // A token every 60 s: the source sits in its timer; the client hangs up after the headers.
  await rawRequest(server.url, {
    path: '/send_operation',
    headers: JSON_HEADERS,
    body: pingBody({ count: 100, interval_ms: 60_000, first_delay_ms: 60_000 }),
    onHeaders: () => true,
  });
  await until(() => server.app.state.activeStreams === 0, 'the stream to close');
  assert.equal(pendingSourceTimers(), before, 'the ping timer was cleared');
  assert.equal(server.app.state.outcomes.client_closed, 1);
  await until(() => logText.includes('client_closed'), 'the stream log line');
  const line = JSON.parse(logText.split('\n').find((l) => l.includes('client_closed')) ?? '{}') as Record<string, unknown>;
  assert.equal(line['notebook_id'], 'n1');
  assert.match(String(line['reason']), /source cancelled/);
});

test('the stream log line names stream, buffer and timeout settings and the counts', async (t) => {
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (d: Buffer) => (logText += d.toString()));
  const server = await startServer({ port: 0, logLevel: 'info', logStream: logs, flushPolicy: 'guide-after' });
  t.after(() => server.shutdown(0));
  await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 3, interval_ms: 0 }) });
  await until(() => logText.includes('"stream ok"'), 'the log line');
  const line = logText.split('\n').find((l) => l.includes('"stream ok"')) as string;
  for (const word of ['stream', 'buffer', 'timeout']) assert.ok(line.includes(word), word);
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.equal(parsed['policy'], 'guide-after');
  assert.equal(parsed['operation'], 'ping');
  assert.equal(parsed['events'], 1, 'three 4-char tokens at once coalesce into one release at the end');
  // 12 chars never reach guide-after's 15-char minimum: the release goes out with done, in one write.
  assert.equal(parsed['writes'], 1);
  assert.equal(parsed['outcome'], 'ok');
});

test('shutdown in-process: open streams end with done status shutdown; new requests get 503', async () => {
  const server = await startServer({ port: 0, logLevel: 'silent' });
  const requestStart = performance.now();
  const open = rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 1000, interval_ms: 50 }) });
  await until(() => server.app.state.activeStreams === 1, 'the stream to open');
  const shutdownAt = performance.now() - requestStart;
  const closing = server.shutdown(5);
  const res = await open;
  const { events } = parseSseBody(res.body);
  assert.equal(events.at(-1)?.event, 'done');
  assert.equal(events.at(-1)?.data['status'], 'shutdown');
  // Token i is due 50 i ms after the stream opened (after the request start): by the shutdown call
  // at most shutdownAt / 50 + 1 were produced, and the stream stops there (2 spare for a timer that
  // was already due in the same turn).
  const chunks = events.filter((e) => e.event === 'chunk').length;
  assert.ok(chunks <= Math.floor(shutdownAt / 50) + 3, `${chunks} chunks; shutdown came ${shutdownAt.toFixed(0)} ms after the request`);
  await closing;
  await assert.rejects(rawRequest(server.url, { method: 'GET', path: '/healthz', timeoutMs: 2000 }), 'listener closed after shutdown');
});

test('while shutting down, requests are answered 503 NBS_SHUTTING_DOWN by the onRequest hook', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent' });
  t.after(() => server.shutdown(0));
  server.app.state.shuttingDown = true;
  const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody() });
  assert.equal(res.status, 503);
  assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'NBS_SHUTTING_DOWN');
  server.app.state.shuttingDown = false;
});

test('CLI serve: exactly one stdout line (its URL); SIGTERM ends open streams with shutdown and exits 0', async (t) => {
  const serve = await startServeProcess(['--grace-s', '5']);
  t.after(() => serve.stop(1000));
  assert.match(serve.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const open = rawRequest(serve.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 1000, interval_ms: 50 }) });
  // SIGTERM once serve reports the stream open (bounded poll of /healthz), not after a fixed sleep.
  const active = async () => {
    const health = await rawRequest(serve.url, { method: 'GET', path: '/healthz', timeoutMs: 5000 });
    return (JSON.parse(health.body) as { streams: { active: number } }).streams.active;
  };
  const deadline = performance.now() + 15_000;
  while ((await active()) !== 1) {
    if (performance.now() > deadline) assert.fail('serve never reported the stream open on /healthz');
    await new Promise((r) => setTimeout(r, 20));
  }
  const code = await serve.stop();
  const res = await open;
  assert.equal(parseSseBody(res.body).events.at(-1)?.data['status'], 'shutdown');
  assert.equal(code, 0);
  assert.equal(serve.stdout(), `${serve.url}\n`, 'nothing but the URL on stdout');
  for (const line of serve.stderr().split('\n').filter((l) => l.startsWith('{'))) JSON.parse(line);
  assert.match(serve.stderr(), /"stream shutdown"/);
});

test('CLI serve: a port in use exits 3 with one clear line, no stack trace', async (t) => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const res = await runCli(['serve', '--port', String(port)]);
  assert.equal(res.code, 3);
  assert.equal(res.stdout, '');
  assert.match(res.stderr, /port is in use/);
  assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
});

test('CLI: usage errors exit 2 naming the culprit; --help and --version exit 0', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['serve', '--port', 'abc'], /--port/],
    [['serve', '--port', '70000'], /--port/],
    [['serve', '--flush-policy', 'fastest'], /--flush-policy/],
    [['serve', '--buffer-chars', '5'], /--buffer-chars applies only to --flush-policy custom/],
    [['serve', '--heartbeat-s', '-1'], /--heartbeat-s/],
    [['serve', '--bogus'], /--bogus/],
    [['no-such-command'], /no-such-command|too many arguments|unknown command/],
  ];
  for (const [args, culprit] of cases) {
    const res = await runCli(args);
    assert.equal(res.code, 2, `${args.join(' ')} exits 2 (stderr: ${res.stderr})`);
    assert.match(res.stderr, culprit, args.join(' '));
  }
  const help = await runCli(['serve', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Examples:/);
  assert.match(help.stdout, /--flush-policy/);
  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('--help and --version load no fastify, undici or SDK', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nbs-lazy-'));
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(spec, ctx, next) {
      if (/^(fastify|undici|openai|@jupyterlab\\/services)$/.test(spec)) process.stderr.write('LOADED ' + spec + '\\n');
      return next(spec, ctx);
    }`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`);
  for (const args of [['--help'], ['--version'], ['serve', '--help']]) {
    const child = spawn(process.execPath, ['--import', pathToFileURL(register).href, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
    assert.doesNotMatch(err, /LOADED/, `${args.join(' ')} loaded: ${err}`);
  }
});
