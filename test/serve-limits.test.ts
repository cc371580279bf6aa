import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { startServer } from '../src/server/serve.js';
import { scrubKeyRuns } from '../src/server/sources/chat.js';
import { JSON_HEADERS, parseSseBody, pingBody, rawRequest } from './helpers/raw-http.js';

/** Issue 25 item 7: shutdown, header timeout, connection cap, HEAD /healthz, missing Host, key scrubbing. */

/** Sends raw bytes; resolves with everything the server sent until it closed (bounded). */
function rawExchange(port: number, bytes: string, ms = 15_000): Promise<{ text: string; refused: boolean }> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    let text = '';
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ text, refused: e.code === 'ECONNREFUSED' });
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, refused: false });
    });
    socket.write(bytes);
  });
}

test('during the shutdown grace new requests get 503 NBS_SHUTTING_DOWN with Connection: close, never ECONNREFUSED', async () => {
  const server = await startServer({ port: 0, logLevel: 'silent', graceS: 3 });
  const stream = rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 1000, interval_ms: 50 }) });
  for (let i = 0; i < 200 && server.app.state.activeStreams === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const closed = server.shutdown(3);
  const open = await stream;
  assert.equal(parseSseBody(open.body).events.at(-1)?.data['status'], 'shutdown');
  // The stream is done; clients that keep coming for the next second are still answered.
  const until = performance.now() + 1000;
  let answered = 0;
  while (performance.now() < until) {
    const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody() });
    assert.equal(res.status, 503);
    assert.equal(res.headers['connection'], 'close');
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'NBS_SHUTTING_DOWN');
    answered++;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(answered >= 5, `${answered} requests answered during the grace`);
  await closed;
  const after = await rawExchange(server.port, 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n', 2000);
  assert.ok(after.refused, 'closed once requests stopped');
});

test('--headers-timeout-s: a client that never finishes its headers gets 408 NBS_REQUEST_TIMEOUT', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', headersTimeoutS: 1 });
  t.after(() => server.shutdown(0));
  const start = performance.now();
  const res = await rawExchange(server.port, 'POST /send_operation HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: 1\r\n', 20_000);
  const took = performance.now() - start;
  assert.match(res.text, /^HTTP\/1\.1 408 /);
  assert.match(res.text, /"NBS_REQUEST_TIMEOUT"/);
  assert.ok(took < 10_000, `cut after ${took.toFixed(0)} ms (Node's default check alone took ~80 s)`);
});

test('--max-connections: connections past the cap are closed, the server serves again once below it', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', maxConnections: 2 });
  t.after(() => server.shutdown(0));
  const held: Socket[] = [];
  t.after(() => held.forEach((s) => s.destroy()));
  for (let i = 0; i < 2; i++) {
    const s = connect({ host: '127.0.0.1', port: server.port });
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
    held.push(s);
  }
  for (let i = 0; i < 100 && (server.app.fastify.server as unknown as { _connections: number })._connections < 2; i++) await new Promise((r) => setTimeout(r, 10));
  const third = await rawExchange(server.port, 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n', 5000);
  assert.equal(third.text, '', 'the third connection got nothing');
  for (const s of held) s.destroy();
  let ok = '';
  for (let i = 0; i < 50 && !ok.startsWith('HTTP/1.1 200'); i++) {
    await new Promise((r) => setTimeout(r, 50));
    ok = (await rawExchange(server.port, 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n', 5000)).text;
  }
  assert.match(ok, /^HTTP\/1\.1 200/);
});

test('HEAD /healthz answers like GET (also with a token), a missing Host gets the JSON 400', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', token: 'tok-limits-test' });
  t.after(() => server.shutdown(0));
  const head = await rawExchange(server.port, 'HEAD /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n');
  assert.match(head.text, /^HTTP\/1\.1 200 /);
  assert.ok(head.text.endsWith('\r\n\r\n'), 'no body');
  const noHost = await rawExchange(server.port, 'GET /healthz HTTP/1.1\r\nconnection: close\r\n\r\n');
  assert.match(noHost.text, /^HTTP\/1\.1 400 /);
  assert.match(noHost.text, /"code":"NBS_BAD_REQUEST"/);
  assert.match(noHost.text, /Host/);
});

test('an upstream error that echoes the API key altered is scrubbed: any run of 8+ characters', () => {
  const key = 'sk-proj-AbCdEfGh0123456789XyZ';
  const cases = [
    `Incorrect API key provided: ${key}`,
    `Incorrect API key provided: ${key.toUpperCase()}`,
    `key ${key.slice(5)} is invalid`,
    `key ${key.slice(3, 14)}**** is invalid`,
    `key "${key.toLowerCase().slice(9, 20)}"`,
  ];
  for (const text of cases) {
    const out = scrubKeyRuns(text, key);
    assert.ok(out.includes('[redacted]'), out);
    for (let i = 0; i + 8 <= key.length; i++) assert.ok(!out.toLowerCase().includes(key.toLowerCase().slice(i, i + 8)), `${out} holds a run of the key`);
  }
  assert.equal(scrubKeyRuns('model not found: gpt-4o-mini', key), 'model not found: gpt-4o-mini', 'other text untouched');
});
