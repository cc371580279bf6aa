import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { WS_PATH, WS_SUBPROTOCOL } from '../src/model/protocol.js';
import { startServer } from '../src/server/serve.js';
import { JSON_HEADERS, parseSseBody, pingBody, rawRequest } from './helpers/raw-http.js';

/** Issue 25 item 2: a client that reads nothing holds at most --max-queued-kib for about a second. */

test('a client that never reads ends with outcome overflow long before the stall timeout; a reading client of the same stream gets it all', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', stallTimeoutS: 60, maxQueuedBytes: 64 * 1024 });
  t.after(() => server.shutdown(0));
  const body = pingBody({ count: 40, interval_ms: 0, token: 262_144 });

  // Control: the same 10 MiB stream to a client that reads is never cut.
  const ok = await fetch(`${server.url}/send_operation`, { method: 'POST', headers: JSON_HEADERS, body, signal: AbortSignal.timeout(60_000) });
  assert.equal(parseSseBody(await ok.text()).events.at(-1)?.data['status'], 'ok');
  assert.equal(server.app.state.outcomes.overflow, 0);

  const socket = connect({ host: '127.0.0.1', port: server.port });
  t.after(() => socket.destroy());
  socket.on('error', () => undefined);
  socket.write(`POST /send_operation HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  socket.pause();
  const start = performance.now();
  while (server.app.state.outcomes.overflow === 0 && performance.now() - start < 30_000) await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.app.state.outcomes.overflow, 1, 'the unread stream ended with outcome overflow');
  assert.equal(server.app.state.outcomes.timeout, 0, 'not at the 60 s stall timeout');
  assert.equal(server.app.state.activeStreams, 0);
  const health = await rawRequest(server.url, { method: 'GET', path: '/healthz' });
  assert.equal((JSON.parse(health.body) as { streams: { outcomes: Record<string, number> } }).streams.outcomes['overflow'], 1);
});

test('a WebSocket client that never reads ends with outcome overflow too; a reading one of the same stream gets it all', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', stallTimeoutS: 60, maxQueuedBytes: 64 * 1024 });
  t.after(() => server.shutdown(0));
  const message = (id: string) => pingBody({ count: 40, interval_ms: 0, token: 262_144 }, { id });
  const connectWs = async () => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}${WS_PATH}`, [WS_SUBPROTOCOL]);
    t.after(() => ws.terminate());
    ws.on('error', () => undefined);
    await once(ws, 'open');
    return ws;
  };

  // Control: a client that reads gets the 10 MiB stream and its done.
  const reader = await connectWs();
  let last: Record<string, unknown> | undefined;
  reader.on('message', (data) => (last = JSON.parse(String(data)) as Record<string, unknown>));
  reader.send(message('read'));
  const start0 = performance.now();
  while (last?.['event'] !== 'done' && performance.now() - start0 < 60_000) await new Promise((r) => setTimeout(r, 20));
  assert.equal(last?.['status'], 'ok');
  assert.equal(server.app.state.outcomes.overflow, 0);

  const mute = await connectWs();
  mute.send(message('unread'));
  mute.pause();
  const start = performance.now();
  while (server.app.state.outcomes.overflow === 0 && performance.now() - start < 30_000) await new Promise((r) => setTimeout(r, 20));
  assert.equal(server.app.state.outcomes.overflow, 1, 'the unread operation ended with outcome overflow');
  assert.equal(server.app.state.outcomes.timeout, 0, 'not at the 60 s stall timeout');
  assert.equal(server.app.state.activeStreams, 0);
});

test('large text events (written as shared parts) arrive whole in SSE and NDJSON, counted in done.stats', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent' });
  t.after(() => server.shutdown(0));
  const body = pingBody({ count: 3, interval_ms: 0, token: 70_000 });
  const sse = parseSseBody(await (await fetch(`${server.url}/send_operation`, { method: 'POST', headers: JSON_HEADERS, body })).text()).events;
  assert.deepEqual(sse.map((e) => e.event), ['chunk', 'chunk', 'chunk', 'done']);
  assert.deepEqual(sse.map((e) => e.data['seq']), [0, 1, 2, 3]);
  for (const e of sse.slice(0, 3)) assert.equal((e.data['text'] as string).length, 70_000);
  const text = await (await fetch(`${server.url}/send_operation`, { method: 'POST', headers: { ...JSON_HEADERS, accept: 'application/x-ndjson' }, body })).text();
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => l['event']), ['chunk', 'chunk', 'chunk', 'done']);
  const before = Buffer.byteLength(text) - Buffer.byteLength(`${text.trim().split('\n').at(-1)}\n`);
  assert.equal((lines.at(-1)?.['stats'] as { bytes: number }).bytes, before, 'done.stats.bytes counts the parts');
});
