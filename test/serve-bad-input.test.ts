import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../src/server/serve.js';
import { JSON_HEADERS, parseSseBody, pingBody, rawRequest } from './helpers/raw-http.js';

interface Case {
  name: string;
  headers?: Record<string, string>;
  body: string;
  status: number;
  code: string;
  message?: RegExp;
}

const body = (o: unknown) => JSON.stringify(o);

const CASES: Case[] = [
  { name: 'malformed JSON', body: '{"notebook_id":', status: 400, code: 'NBS_BAD_JSON' },
  { name: 'empty JSON body', body: '', status: 400, code: 'NBS_BAD_JSON' },
  { name: 'a JSON array', body: '[1,2]', status: 400, code: 'NBS_INVALID_BODY' },
  { name: 'wrong content type', headers: { 'content-type': 'text/plain' }, body: pingBody(), status: 415, code: 'NBS_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'form content type', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1', status: 415, code: 'NBS_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'body over 1 MiB', body: body({ notebook_id: 'n', operation: { type: 'ping', token: 'x'.repeat(1_100_000) } }), status: 413, code: 'NBS_BODY_TOO_LARGE' },
  { name: 'missing notebook_id', body: body({ operation: { type: 'ping' } }), status: 400, code: 'NBS_INVALID_BODY', message: /notebook_id/ },
  { name: 'numeric notebook_id', body: body({ notebook_id: 5, operation: { type: 'ping' } }), status: 400, code: 'NBS_INVALID_BODY', message: /notebook_id/ },
  { name: 'operation not an object', body: body({ notebook_id: 'n', operation: 'ping' }), status: 400, code: 'NBS_INVALID_BODY', message: /operation/ },
  { name: 'operation without type', body: body({ notebook_id: 'n', operation: {} }), status: 400, code: 'NBS_INVALID_BODY', message: /type/ },
  { name: 'unknown operation type', body: pingBody({ type: 'pong' }), status: 400, code: 'NBS_UNKNOWN_OPERATION', message: /pong.*ping/ },
  { name: 'bad lang', body: pingBody({}, { lang: 'fr' }), status: 400, code: 'NBS_INVALID_BODY', message: /lang/ },
  { name: 'negative count', body: pingBody({ count: -1 }), status: 400, code: 'NBS_INVALID_BODY', message: /operation\.count/ },
  { name: 'huge count', body: pingBody({ count: 1e12 }), status: 400, code: 'NBS_INVALID_BODY', message: /operation\.count/ },
  { name: 'fractional count', body: pingBody({ count: 1.5 }), status: 400, code: 'NBS_INVALID_BODY', message: /operation\.count/ },
  { name: 'string interval', body: pingBody({ interval_ms: '20' }), status: 400, code: 'NBS_INVALID_BODY', message: /interval_ms/ },
  { name: 'huge interval', body: pingBody({ interval_ms: 1e9 }), status: 400, code: 'NBS_INVALID_BODY', message: /interval_ms/ },
  { name: 'negative first delay', body: pingBody({ first_delay_ms: -5 }), status: 400, code: 'NBS_INVALID_BODY', message: /first_delay_ms/ },
  { name: 'empty token', body: pingBody({ token: '' }), status: 400, code: 'NBS_INVALID_BODY', message: /token/ },
  { name: 'token size too large', body: pingBody({ token: 2_000_000 }), status: 400, code: 'NBS_INVALID_BODY', message: /token/ },
  { name: 'token of the wrong type', body: pingBody({ token: true }), status: 400, code: 'NBS_INVALID_BODY', message: /token/ },
];

test('every bad input gets a 4xx with the contract JSON error body, and the server goes on serving', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent' });
  t.after(() => server.shutdown(0));
  for (const c of CASES) {
    const res = await rawRequest(server.url, { path: '/send_operation', headers: c.headers ?? JSON_HEADERS, body: c.body });
    assert.equal(res.status, c.status, `${c.name}: status`);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${c.name}: JSON body`);
    const parsed = JSON.parse(res.body) as { error: { code: string; message: string } };
    assert.equal(parsed.error.code, c.code, `${c.name}: code`);
    assert.equal(typeof parsed.error.message, 'string');
    if (c.message !== undefined) assert.match(parsed.error.message, c.message, `${c.name}: message names the field`);
  }
  const ok = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 2, interval_ms: 0 }) });
  assert.equal(ok.status, 200);
  assert.equal(parseSseBody(ok.body).events.at(-1)?.data['status'], 'ok');
});

test('messages follow lang: zh', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent' });
  t.after(() => server.shutdown(0));
  const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 0 }, { lang: 'zh' }) });
  assert.match(res.body, /整数/);
});

test('unknown routes and methods answer JSON 404', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent' });
  t.after(() => server.shutdown(0));
  for (const [method, path] of [['GET', '/nope'], ['GET', '/send_operation']] as const) {
    const res = await rawRequest(server.url, { method, path });
    assert.equal(res.status, 404);
    assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'NBS_NOT_FOUND');
  }
});

test('past --max-streams: 503 NBS_TOO_MANY_STREAMS with Retry-After', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', maxStreams: 1 });
  t.after(() => server.shutdown(0));
  // Hold one stream open (a token 10 s away), wait until the server counts it.
  const first = rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 1, first_delay_ms: 10_000 }), onHeaders: () => false });
  for (let i = 0; i < 200 && server.app.state.activeStreams < 1; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.app.state.activeStreams, 1);
  const second = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 1 }) });
  assert.equal(second.status, 503);
  assert.equal(second.headers['retry-after'], '1');
  assert.equal((JSON.parse(second.body) as { error: { code: string } }).error.code, 'NBS_TOO_MANY_STREAMS');
  await server.shutdown(0);
  const res = await first;
  assert.equal(parseSseBody(res.body).events.at(-1)?.data['status'], 'shutdown');
});
