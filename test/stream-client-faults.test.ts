import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { runBench } from '../src/probe/run-bench.js';
import { LoadRunner, type LoadPlan } from '../src/probe/load-runner.js';
import type { StreamRecord } from '../src/model/record.js';
import { runCli } from './helpers/serve-process.js';
import { specFor } from './helpers/bench-spec.js';
import { startServer } from './helpers/start-server.js';

/** Issue 25 item 8: bench names what went wrong correctly. */

const SSE = 'data: {"text":"a"}\n\n';

/**
 * Answers the first request of each connection and closes the connection on the second without
 * answering, as a server does whose idle timeout fired just as the request arrived.
 */
function closesSecondRequest() {
  const perSocket = new WeakMap<object, number>();
  return (req: IncomingMessage, res: ServerResponse) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    if (n === 2) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-length': String(SSE.length) });
    res.end(SSE);
  };
}

test('a keep-alive connection the server closed between requests is retried once on a new one, as a reconnect', async (t) => {
  const srv = await startServer(closesSecondRequest());
  t.after(() => srv.close());
  const run = await runBench(await specFor(`${srv.url}/s`, { method: 'GET' }), { requests: 10, warmup: 0 });
  const failed = run.records.filter((r) => r.error !== null);
  assert.deepEqual(failed.map((r) => r.error), [], 'no request failed');
  const reconnected = run.records.filter((r) => r.reconnected === true).length;
  assert.ok(reconnected >= 4, `${reconnected} reconnects`);
});

test('under load too (bench -c N): a reset on a reused connection is a reconnect, a POST stays a reset', async (t) => {
  const srv = await startServer(closesSecondRequest());
  t.after(() => srv.close());
  const plan: LoadPlan = { model: 'closed', concurrency: 2, rate: 0, arrival: 'constant', requests: 10, durationMs: null, warmup: 0, maxInFlight: 2, connections: 2 };
  const records: StreamRecord[] = [];
  await new LoadRunner(await specFor(`${srv.url}/s`, { method: 'GET' }), plan, (r) => records.push(r)).run();
  assert.equal(records.length, 10);
  assert.deepEqual(records.filter((r) => r.error !== null).map((r) => r.error), [], 'no request failed');
  const reconnected = records.filter((r) => r.reconnected === true).length;
  assert.ok(reconnected >= 4, `${reconnected} reconnects`);
  const posts: StreamRecord[] = [];
  await new LoadRunner(await specFor(`${srv.url}/s`, { body: '{}' }), { ...plan, requests: 4 }, (r) => posts.push(r)).run();
  assert.ok(posts.some((r) => r.error?.kind === 'reset'), JSON.stringify(posts.map((r) => r.error?.kind ?? 'ok')));
  assert.ok(posts.every((r) => r.reconnected !== true));
});

test('a POST on a connection the server closed is not sent again (not idempotent): reset', async (t) => {
  const srv = await startServer(closesSecondRequest());
  t.after(() => srv.close());
  const run = await runBench(await specFor(`${srv.url}/s`, { body: '{}' }), { requests: 2, warmup: 0 });
  assert.equal(run.records[1]?.error?.kind, 'reset');
});

test('an endless response header is protocol; a 3xx is http_status', async (t) => {
  const sockets = new Set<Socket>();
  const endless = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n');
    const timer = setInterval(() => socket.write(`x-more: ${'y'.repeat(1000)}\r\n`), 1);
    socket.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => endless.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    endless.close();
  });
  const port = (endless.address() as { port: number }).port;
  const a = await runBench(await specFor(`http://127.0.0.1:${port}/s`), { requests: 1, warmup: 0 });
  assert.equal(a.records[0]?.error?.kind, 'protocol', JSON.stringify(a.records[0]?.error));

  const redirect = await startServer((_req, res) => {
    res.writeHead(302, { location: '/elsewhere', 'content-length': '0' });
    res.end();
  });
  t.after(() => redirect.close());
  const b = await runBench(await specFor(`${redirect.url}/s`), { requests: 1, warmup: 0 });
  assert.equal(b.records[0]?.error?.kind, 'http_status');
});

test('-H with CR or LF in its value is a usage error (exit 2) before any request', async (t) => {
  const srv = await startServer((_req, res) => res.end(SSE));
  t.after(() => srv.close());
  const r = await runCli(['bench', `${srv.url}/s`, '-n', '1', '-H', 'X-A: b\r\nX-Injected: 1']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /CR, LF/);
  assert.equal(srv.requests.length, 0, 'nothing was sent');
});
