import assert from 'node:assert/strict';
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { test } from 'node:test';
import { startServer } from '../src/server/serve.js';
import { parseSseBody, pingBody } from './helpers/raw-http.js';
import { requireCommand } from './helpers/system.js';
import { makeSelfSignedCert } from './helpers/tls-cert.js';

/** Connection-specific fields a HTTP/2 response must not carry (RFC 9113 §8.2.2). */
const FORBIDDEN = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

async function h2Stream(session: ClientHttp2Session, body: string): Promise<{ headers: IncomingHttpHeaders; text: string; dataEvents: number }> {
  const req = session.request({
    [constants.HTTP2_HEADER_METHOD]: 'POST',
    [constants.HTTP2_HEADER_PATH]: '/send_operation',
    'content-type': 'application/json',
    accept: 'text/event-stream',
  });
  req.end(body);
  const [headers] = (await new Promise((resolve, reject) => {
    req.once('response', (h) => resolve([h]));
    req.once('error', reject);
  })) as [IncomingHttpHeaders];
  let text = '';
  let dataEvents = 0;
  req.setEncoding('utf8');
  req.on('data', (d: string) => {
    text += d;
    dataEvents++;
  });
  await new Promise<void>((resolve, reject) => {
    req.once('end', () => resolve());
    req.once('error', reject);
  });
  return { headers, text, dataEvents };
}

function assertStream(headers: IncomingHttpHeaders, text: string, count: number): void {
  assert.equal(headers[':status'], 200);
  assert.equal(headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(headers['x-accel-buffering'], 'no');
  for (const h of FORBIDDEN) assert.equal(headers[h], undefined, `no ${h} on HTTP/2`);
  const { events } = parseSseBody(text);
  assert.equal(events.length, count + 1);
  assert.equal(events.at(-1)?.data['status'], 'ok');
}

test('h2c (--http2): the same events and policies, no connection-specific headers', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', http2: true });
  t.after(() => server.shutdown(0));
  const session = connect(server.url);
  t.after(() => session.close());
  // 100 ms apart: the ping source writes overdue tokens together only after a stall of ≥ 100 ms.
  const a = await h2Stream(session, pingBody({ count: 5, interval_ms: 100 }));
  assertStream(a.headers, a.text, 5);
  assert.ok(a.dataEvents >= 3, `events arrive one by one on HTTP/2 (${a.dataEvents} DATA reads)`);
  // Two streams on one session, sequentially: the session is reused.
  const b = await h2Stream(session, pingBody({ count: 2, interval_ms: 1 }));
  assertStream(b.headers, b.text, 2);
});

test('h2c: shutdown ends an open HTTP/2 stream with done status shutdown', async () => {
  const server = await startServer({ port: 0, logLevel: 'silent', http2: true });
  const session = connect(server.url);
  session.on('error', () => undefined);
  const pending = h2Stream(session, pingBody({ count: 1000, interval_ms: 50 }));
  for (let i = 0; i < 200 && server.app.state.activeStreams === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await server.shutdown(5);
  const res = await pending;
  assert.equal(parseSseBody(res.text).events.at(-1)?.data['status'], 'shutdown');
  session.close();
});

test('TLS: HTTP/2 by ALPN and HTTP/1.1 for clients that only speak it', async (t) => {
  if (!requireCommand(t, 'openssl', 'openssl')) return;
  const { cert, key } = makeSelfSignedCert();
  const server = await startServer({ port: 0, logLevel: 'silent', tls: { cert, key } });
  t.after(() => server.shutdown(0));
  assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const session = connect(server.url, { ca: cert });
  t.after(() => session.close());
  const h2 = await h2Stream(session, pingBody({ count: 3, interval_ms: 5 }));
  assertStream(h2.headers, h2.text, 3);
  assert.equal(session.alpnProtocol, 'h2');
  const h1 = await new Promise<{ status: number; version: string; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpsRequest(`${server.url}/send_operation`, { method: 'POST', ca: cert, headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, version: res.httpVersion, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(pingBody({ count: 2, interval_ms: 1 }));
  });
  assert.equal(h1.status, 200);
  assert.equal(h1.version, '1.1');
  assert.equal(h1.headers['content-type'], 'text/event-stream; charset=utf-8');
  assert.equal(parseSseBody(h1.body).events.length, 3);
});
