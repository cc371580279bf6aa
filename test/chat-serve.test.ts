import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { resolveLlmConfig } from '../src/server/sources/llm-config.js';
import { syntheticToken } from '../src/upstream/profile.js';
import { startUpstream, type Upstream } from '../src/upstream/server.js';
import { JSON_HEADERS, parseSseBody, rawRequest } from './helpers/raw-http.js';
import { eventually } from './llm-helpers.js';

/**
 * `chat` through the embedded server against the replay upstream. The configuration comes from the
 * environment (OPENAI_BASE_URL, OPENAI_API_KEY), resolved here as the CLI resolves it, and the
 * `serve` child below inherits it; this file runs in its own process, so setting them is local to it.
 */
const KEY = 'sk-serve-SECRETKEY-9876543210fedcba';
let up: Upstream;
let server: RunningServer;

before(async () => {
  up = await startUpstream({ port: 0 });
  process.env['OPENAI_BASE_URL'] = up.url;
  process.env['OPENAI_API_KEY'] = KEY;
  delete process.env['OPENAI_API_BASE'];
  server = await startServer({ port: 0, logLevel: 'silent', llm: resolveLlmConfig({}, process.env) });
});

after(async () => {
  await server.shutdown(0);
  await up.close();
});

const chatBody = (operation: Record<string, unknown>) =>
  JSON.stringify({
    notebook_id: 'n1',
    operation: { type: 'chat', messages: [{ role: 'user', content: 'hi' }], ...operation },
    lang: 'en',
  });

test('chat through serve: one chunk event per delta in order, then done with usage and finish_reason', async () => {
  const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: chatBody({ model: 'synthetic?ttft_ms=50&tps=200&tokens=8' }) });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
  const { events } = parseSseBody(res.body);
  const chunks = events.filter((e) => e.event === 'chunk');
  assert.deepEqual(chunks.map((e) => e.data['text']), Array.from({ length: 8 }, (_, i) => syntheticToken(i)));
  const done = events.at(-1);
  assert.equal(done?.event, 'done');
  assert.equal(done?.data['status'], 'ok');
  assert.equal(done?.data['finish_reason'], 'stop');
  assert.equal((done?.data['usage'] as { completion_tokens: number }).completion_tokens, 8);
});

test('failures before the first delta are JSON errors with the contract status (429 carries Retry-After)', async () => {
  const limited = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: chatBody({ model: 'synthetic?fail=429&retry_after_s=4' }) });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers['retry-after'], '4');
  assert.equal((JSON.parse(limited.body) as { error: { code: string } }).error.code, 'NBS_LLM_RATE_LIMITED');
  const auth = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: chatBody({ model: 'synthetic?fail=401' }) });
  assert.equal(auth.status, 502);
  assert.equal((JSON.parse(auth.body) as { error: { code: string } }).error.code, 'NBS_LLM_AUTH');
  assert.ok(!auth.body.includes(KEY), 'the key is not in the response');
  const missing = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: chatBody({ model: 'no-such-model' }) });
  assert.equal(missing.status, 400);
  assert.equal((JSON.parse(missing.body) as { error: { code: string } }).error.code, 'NBS_LLM_MODEL_NOT_FOUND');
  const invalid = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: chatBody({ model: 'm', messages: 'hi' }) });
  assert.equal(invalid.status, 400);
  assert.equal((JSON.parse(invalid.body) as { error: { code: string } }).error.code, 'NBS_INVALID_BODY');
});

test('a reset after the first delta is an error event, then done with status error', async () => {
  const res = await rawRequest(server.url, {
    path: '/send_operation',
    headers: JSON_HEADERS,
    body: chatBody({ model: 'synthetic?ttft_ms=0&tps=1000&tokens=10&reset_after=2' }),
  });
  assert.equal(res.status, 200);
  const { events } = parseSseBody(res.body);
  assert.equal(events.filter((e) => e.event === 'chunk').map((e) => e.data['text']).join(''), syntheticToken(0) + syntheticToken(1));
  const error = events.find((e) => e.event === 'error');
  assert.equal(error?.data['code'], 'NBS_LLM_UPSTREAM');
  assert.equal(events.at(-1)?.event, 'done');
  assert.equal(events.at(-1)?.data['status'], 'error');
});

test('a client that hangs up aborts the upstream request; sequential requests share one upstream connection', async () => {
  const connectionsBefore = up.stats.connections;
  for (let i = 0; i < 3; i++) {
    const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: chatBody({ model: 'synthetic?ttft_ms=0&tps=1000&tokens=3' }) });
    assert.equal(res.status, 200);
  }
  // One pooled connection across the three (it may be the one the earlier tests opened).
  assert.ok(up.stats.connections - connectionsBefore <= 1, `new upstream connections: ${up.stats.connections - connectionsBefore}`);

  const closedBefore = up.stats.closedEarly;
  await rawRequest(server.url, {
    path: '/send_operation',
    headers: JSON_HEADERS,
    body: chatBody({ model: 'synthetic?ttft_ms=0&tps=20&tokens=1000' }),
    onHeaders: () => true,
  });
  assert.ok(await eventually(() => up.stats.closedEarly === closedBefore + 1), `upstream closedEarly=${up.stats.closedEarly}`);
});

test('serve as a process: stdout stays its URL line and no log line carries the key, through successes and failures', async (t) => {
  const { startServeProcess } = await import('./helpers/serve-process.js');
  // The child inherits OPENAI_BASE_URL and OPENAI_API_KEY from before().
  const serve = await startServeProcess(['--log-level', 'debug']);
  t.after(() => serve.stop());
  const models = ['synthetic?ttft_ms=0&tps=1000&tokens=3', 'synthetic?fail=401', 'synthetic?fail=429', 'synthetic?ttft_ms=0&tps=1000&tokens=5&reset_after=2', 'nope'];
  for (const model of models) {
    const res = await rawRequest(serve.url, { path: '/send_operation', headers: JSON_HEADERS, body: chatBody({ model }) });
    assert.ok(!res.body.includes(KEY), `${model}: key in the response`);
  }
  assert.equal(await serve.stop(), 0);
  assert.equal(serve.stdout(), `${serve.url}\n`, 'stdout is the URL line only');
  assert.ok(!serve.stderr().includes(KEY), 'the key is in no log line');
  assert.match(serve.stderr(), /chat/, 'the streams were logged');
});
