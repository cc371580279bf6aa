import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { RequestFlags } from '../src/probe/build-request-spec.js';
import { runBench } from '../src/probe/run-bench.js';
import type { StreamRecord } from '../src/model/record.js';
import { specFor } from './helpers/bench-spec.js';
import { startServer } from './helpers/start-server.js';

/** Runs `requests` requests and returns the records; the run must go on after each failure. */
async function measure(url: string, flags: Partial<RequestFlags>, requests = 2): Promise<StreamRecord[]> {
  const started = performance.now();
  const run = await runBench(await specFor(url, flags), { requests, warmup: 0 });
  assert.equal(run.records.length, requests, 'every request ran');
  assert.ok(performance.now() - started < 15_000, 'the run ended in bounded time');
  return run.records;
}

function kinds(records: StreamRecord[]): string[] {
  return records.map((r) => r.error?.kind ?? 'ok');
}

test('headers that never come end as headers_timeout, and the next request still runs', async (t) => {
  let n = 0;
  const srv = await startServer((_req, res) => {
    if (n++ === 0) return; // never answers the first request
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: x\n\n');
  });
  t.after(() => srv.close());
  const records = await measure(srv.url, { headersTimeoutMs: 300 });
  assert.deepEqual(kinds(records), ['headers_timeout', 'ok']);
  assert.ok(records[0]!.endUs >= 290_000, `ended at ${records[0]!.endUs} µs`);
});

test('a silent body ends as idle_timeout; a trickling body as request_timeout', async (t) => {
  const srv = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': hb\n\n');
    if (req.url === '/silent') return;
    const timer = setInterval(() => res.write(': hb\n\n'), 50);
    res.on('close', () => clearInterval(timer));
  });
  t.after(() => srv.close());
  const silent = await measure(`${srv.url}/silent`, { idleTimeoutMs: 300 }, 1);
  assert.deepEqual(kinds(silent), ['idle_timeout']);
  const trickle = await measure(`${srv.url}/trickle`, { idleTimeoutMs: 300, requestTimeoutS: 1 }, 1);
  assert.deepEqual(kinds(trickle), ['request_timeout']);
  assert.ok(trickle[0]!.comments >= 5, `heartbeats seen: ${trickle[0]!.comments}`);
});

test('one endless line ends as event_too_large with memory bounded', async (t) => {
  const srv = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: ');
    const chunk = 'x'.repeat(16 * 1024);
    const timer = setInterval(() => res.write(chunk), 1);
    res.on('close', () => clearInterval(timer));
  });
  t.after(() => srv.close());
  const records = await measure(srv.url, { maxEventBytes: 64 * 1024 }, 1);
  assert.deepEqual(kinds(records), ['event_too_large']);
  assert.ok(records[0]!.wireBytes < 4 * 1024 * 1024, `read ${records[0]!.wireBytes} bytes before stopping`);
});

test('a reset mid-stream is reset; events before it are kept; the run goes on', async (t) => {
  let n = 0;
  const srv = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (n++ === 0) {
      res.write('data: a\n\n');
      setTimeout(() => req.socket.resetAndDestroy(), 30);
    } else {
      res.end('data: b\n\n');
    }
  });
  t.after(() => srv.close());
  const records = await measure(srv.url, {});
  assert.deepEqual(kinds(records), ['reset', 'ok']);
  assert.equal(records[0]!.events, 1);
});

test('refused, bad status, unknown encoding and garbage status lines are counted by kind', async (t) => {
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  assert.deepEqual(kinds(await measure(`http://127.0.0.1:${port}/`, {}, 1)), ['connect_refused']);

  const srv = await startServer((req, res) => {
    if (req.url === '/503') {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"NBS_SHUTTING_DOWN","message":"bye"}}');
    } else {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'zstd' });
      res.end('data: x\n\n');
    }
  });
  t.after(() => srv.close());
  const bad = await measure(`${srv.url}/503`, {}, 1);
  assert.deepEqual(kinds(bad), ['http_status']);
  assert.equal(bad[0]!.status, 503);
  assert.deepEqual(kinds(await measure(`${srv.url}/zstd`, {}, 1)), ['undecodable_encoding']);

  const garbage = net.createServer((s) => {
    s.on('data', () => s.end('HTTP/9 nonsense\r\n\r\n'));
  });
  await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => garbage.close(() => r())));
  const gport = (garbage.address() as AddressInfo).port;
  assert.deepEqual(kinds(await measure(`http://127.0.0.1:${gport}/`, {}, 1)), ['protocol']);
});

test('a connect that never completes (TLS handshake never answered) ends as connect_timeout', async (t) => {
  // A TCP listener that accepts and stays silent: undici's connect covers the TLS handshake
  // ('secureConnect'), so an https: URL to it can only end by the connect timeout.
  const sockets: net.Socket[] = [];
  const mute = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => mute.close(() => r()));
  });
  const port = (mute.address() as AddressInfo).port;
  const records = await measure(`https://127.0.0.1:${port}/`, { connectTimeoutMs: 300 }, 2);
  assert.deepEqual(kinds(records), ['connect_timeout', 'connect_timeout']);
  assert.ok(records[0]!.endUs >= 290_000 && records[0]!.endUs < 5_000_000, `ended at ${records[0]!.endUs} µs`);
});

test('a request timeout shorter than a slow connect ends the request and the run goes on', async (t) => {
  const sockets: net.Socket[] = [];
  const mute = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => mute.close(() => r()));
  });
  const port = (mute.address() as AddressInfo).port;
  // The TLS handshake never completes; the 1 s request timeout fires before the 3 s connect timeout.
  const records = await measure(`https://127.0.0.1:${port}/`, { connectTimeoutMs: 3000, requestTimeoutS: 1 }, 2);
  assert.deepEqual(kinds(records), ['request_timeout', 'request_timeout']);
  // request_timeout (not connect_timeout) above shows which fired first; the upper bound only
  // says the request did not hang, generous for a loaded machine.
  for (const r of records) assert.ok(r.endUs >= 990_000 && r.endUs < 10_000_000, `ended at ${r.endUs} µs`);
});
