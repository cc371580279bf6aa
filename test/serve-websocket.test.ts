import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { runBench } from '../src/probe/run-bench.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import type { ServerOptions } from '../src/server/server-options.js';
import type { Report } from '../src/model/report.js';
import { reportErrors } from '../src/report/validate-report.js';
import { specFor } from './helpers/bench-spec.js';
import { cliRun } from './helpers/cli-run.js';

async function withServer(t: TestContext, opts: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const server = await startServer({ port: 0, logLevel: 'silent', ...opts });
  t.after(() => server.shutdown(0));
  return server;
}

const wsUrl = (server: RunningServer, path = '/ws') => `${server.url.replace(/^http/, 'ws')}${path}`;

interface Message {
  id: unknown;
  event: string;
  seq?: number;
  text?: string;
  status?: unknown;
  error?: { code: string };
  stats?: { events: number; writes: number };
}

/** A real client (the ws package) on one socket; every message kept with its arrival time. */
async function open(t: TestContext, url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}, protocols: string[] = ['notebook-stream']) {
  const ws = new WebSocket(url, protocols, options);
  t.after(() => ws.terminate());
  const messages: Array<Message & { at: number }> = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push({ ...(JSON.parse(String(data)) as Message), at: performance.now() });
    for (const w of waiters.splice(0)) w();
  });
  await once(ws, 'open');
  /** Resolves once `pred` holds for the messages so far (bounded). */
  const until = async (pred: (m: typeof messages) => boolean, ms = 20_000) => {
    const deadline = performance.now() + ms;
    while (!pred(messages)) {
      assert.ok(performance.now() < deadline, `timed out waiting; got ${JSON.stringify(messages.slice(-5))}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(100)]);
    }
  };
  const send = (obj: Record<string, unknown>) => ws.send(JSON.stringify(obj));
  return { ws, messages, until, send };
}

const op = (id: unknown, operation: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ id, notebook_id: 'n1', operation, lang: 'en', ...extra });
const doneOf = (id: unknown) => (m: Message[]) => m.some((x) => x.id === id && (x.event === 'done' || x.event === 'refused'));

/** The handshake's refusal: status and JSON body. */
async function refusal(url: string, headers: Record<string, string>, protocols: string[] = ['notebook-stream']): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url, protocols, { headers });
  ws.on('error', () => undefined);
  const outcome = await Promise.race([
    once(ws, 'unexpected-response').then(([, res]) => res as IncomingMessage),
    once(ws, 'open').then(() => null),
  ]);
  if (outcome === null) {
    ws.terminate();
    return { status: 101, body: '' };
  }
  let body = '';
  for await (const chunk of outcome) body += String(chunk);
  return { status: outcome.statusCode ?? 0, body };
}

async function activeStreams(server: RunningServer): Promise<number> {
  const res = await fetch(`${server.url}/healthz`);
  return ((await res.json()) as { streams: { active: number } }).streams.active;
}

/**
 * How long after `from` the last stream's source stopped, ms: the server's own count (what
 * /healthz reports as streams.active) drops when the pump leaves the source, and whenIdle
 * resolves on that event, so no polling delay is measured. Bounded by 10 s.
 */
async function untilIdle(server: RunningServer, from: number): Promise<number> {
  const idle = await Promise.race([server.app.state.whenIdle().then(() => true), sleep(10_000).then(() => false)]);
  const ms = performance.now() - from;
  assert.ok(idle, 'the source never stopped');
  assert.equal(await activeStreams(server), 0);
  return ms;
}

test('each flush policy over WebSocket: adaptive sends one message per event, the guide\'s policies lump', async (t) => {
  const server = await withServer(t, { allowPolicyOverride: true });
  const c = await open(t, wsUrl(server));
  const COUNT = 30;
  const perPolicy: Record<string, Message[]> = {};
  for (const policy of ['adaptive', 'guide-after', 'guide-before']) {
    c.send(op(policy, { type: 'ping', count: COUNT, interval_ms: 5 }, { flush_policy: policy }));
    await c.until(doneOf(policy));
    perPolicy[policy] = c.messages.filter((m) => m.id === policy);
  }
  for (const [policy, msgs] of Object.entries(perPolicy)) {
    const chunks = msgs.filter((m) => m.event === 'chunk');
    assert.equal(chunks.map((m) => m.text).join(''), 'tok '.repeat(COUNT), policy);
    assert.deepEqual(msgs.map((m) => m.seq), msgs.map((_, i) => i), `${policy}: seq 0,1,2,… in order`);
    const done = msgs.at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(done.status, 'ok');
    // One message per write: done.stats.writes counts the messages, done included.
    assert.equal(done.stats?.writes, msgs.length, policy);
    t.diagnostic(`${policy}: ${chunks.length} chunk messages, longest ${Math.max(...chunks.map((m) => m.text!.length))} chars`);
  }
  const adaptive = perPolicy['adaptive']!.filter((m) => m.event === 'chunk');
  assert.equal(adaptive.length, COUNT, 'adaptive: one message per token, even when tokens come in the same turn');
  for (const m of adaptive) assert.equal(m.text, 'tok ');
  // guide-before releases 50 characters at a time (12.5 tokens): lumps of 12-13 tokens.
  const before = perPolicy['guide-before']!.filter((m) => m.event === 'chunk');
  assert.ok(before.length <= COUNT / 4, `guide-before lumps: ${before.length} messages`);
  assert.ok(before.some((m) => m.text!.length >= 48), 'a 50-character lump');
  const after = perPolicy['guide-after']!.filter((m) => m.event === 'chunk');
  assert.ok(after.length < COUNT && after.length > before.length, `guide-after: ${after.length} messages`);
});

test('many operations multiplexed on one socket, each tagged with its id', async (t) => {
  const server = await withServer(t);
  const c = await open(t, wsUrl(server));
  const ids = ['a', 'b', 7, 'd', 'e'];
  for (const [k, id] of ids.entries()) c.send(op(id, { type: 'ping', count: 8 + k, interval_ms: 20 }));
  await c.until((m) => ids.every((id) => doneOf(id)(m)));
  for (const [k, id] of ids.entries()) {
    const mine = c.messages.filter((m) => m.id === id);
    assert.equal(mine.filter((m) => m.event === 'chunk').length, 8 + k, String(id));
    assert.equal(mine.at(-1)?.event, 'done');
  }
  // Interleaved, not one after another: the last operation's first chunk came before the first one's done.
  const firstDone = c.messages.findIndex((m) => m.id === 'a' && m.event === 'done');
  const lastFirst = c.messages.findIndex((m) => m.id === 'e' && m.event === 'chunk');
  assert.ok(lastFirst < firstDone, 'operations stream at the same time');
  // An id still streaming cannot be reused; a message without a usable id is refused with the HTTP
  // error body and "id":null, never its unusable id echoed (docs/protocol.md).
  c.send(op('x', { type: 'ping', count: 3, interval_ms: 200 }));
  c.send(op('x', { type: 'ping', count: 1 }));
  c.send({ notebook_id: 'n1', operation: { type: 'ping' } });
  for (const unusable of [true, {}, 'i'.repeat(257)]) c.send(op(unusable, { type: 'ping' }));
  c.send(op('bad', { type: 'nope' }));
  await c.until((m) => m.filter((x) => x.event === 'refused').length >= 6 && doneOf('x')(m));
  const refused = c.messages.filter((m) => m.event === 'refused');
  assert.deepEqual(refused.map((m) => [m.id, m.status, m.error?.code]).sort(), [
    ['bad', 400, 'NBS_UNKNOWN_OPERATION'],
    ['x', 400, 'NBS_INVALID_BODY'],
    [null, 400, 'NBS_INVALID_BODY'],
    [null, 400, 'NBS_INVALID_BODY'],
    [null, 400, 'NBS_INVALID_BODY'],
    [null, 400, 'NBS_INVALID_BODY'],
  ].sort());
});

test('cancel by message and by closing stops the source at once', async (t) => {
  const server = await withServer(t);
  const c = await open(t, wsUrl(server));
  // Control: a refusal round trip on the same socket, how long this machine takes to answer at all now.
  const c0 = performance.now();
  c.send(op('probe', { type: 'nope' }));
  await c.until(doneOf('probe'));
  const controlMs = performance.now() - c0;

  // A token every 5 s: the source stops only if the cancel reaches it.
  c.send(op('slow', { type: 'ping', count: 10, interval_ms: 5000 }));
  await c.until((m) => m.some((x) => x.id === 'slow' && x.event === 'chunk'));
  const t0 = performance.now();
  c.send({ id: 'slow', cancel: true });
  await c.until(doneOf('slow'));
  const done = c.messages.find((m) => m.id === 'slow' && m.event === 'done')!;
  assert.equal(done.status, 'aborted');
  const cancelMs = await untilIdle(server, t0);
  t.diagnostic(`cancel → source stopped in ${cancelMs.toFixed(1)} ms (control round trip ${controlMs.toFixed(1)} ms)`);
  assert.ok(cancelMs < controlMs + 100, `stopped after ${cancelMs.toFixed(1)} ms`);

  // A dropped connection (no closing handshake), then a closing handshake on a second socket.
  for (const how of ['terminate', 'close'] as const) {
    const d = how === 'terminate' ? c : await open(t, wsUrl(server));
    d.send(op('gone', { type: 'ping', count: 10, interval_ms: 5000 }));
    await d.until((m) => m.some((x) => x.id === 'gone' && x.event === 'chunk'));
    const t1 = performance.now();
    if (how === 'terminate') d.ws.terminate();
    else d.ws.close();
    const closeMs = await untilIdle(server, t1);
    t.diagnostic(`${how} → source stopped in ${closeMs.toFixed(1)} ms`);
    // The closing handshake takes a round trip more than the control's one.
    assert.ok(closeMs < 2 * controlMs + 100, `${how}: stopped after ${closeMs.toFixed(1)} ms`);
  }
  const health = (await (await fetch(`${server.url}/healthz`)).json()) as { streams: { outcomes: Record<string, number> } };
  assert.equal(health.streams.outcomes['client_closed'], 2);
  assert.equal(health.streams.outcomes['aborted'], 1);
});

test('auth: token in Authorization or a bearer.<base64url> subprotocol, never the URL; wrong or missing is 401', async (t) => {
  const token = 'sekrit-token-1234';
  const server = await withServer(t, { token });
  const url = wsUrl(server);
  const missing = await refusal(url, {});
  assert.equal(missing.status, 401);
  assert.equal(JSON.parse(missing.body).error.code, 'NBS_UNAUTHORIZED');
  assert.equal((await refusal(`${url}?token=${token}`, {})).status, 401, 'a token in the URL does not count');
  assert.equal((await refusal(url, { authorization: 'Bearer wrong-token-0000' })).status, 401);
  assert.equal((await refusal(url, { authorization: `Bearer ${token}` })).status, 101);
  const b64 = Buffer.from(token).toString('base64url');
  assert.equal((await refusal(url, {}, ['notebook-stream', `bearer.${Buffer.from('nope-nope-nope').toString('base64url')}`])).status, 401);
  // A browser's way: the token as a subprotocol; the server picks notebook-stream, never echoes the token.
  const c = await open(t, url, {}, ['notebook-stream', `bearer.${b64}`]);
  assert.equal(c.ws.protocol, 'notebook-stream');
  c.send(op(1, { type: 'ping', count: 2, interval_ms: 1 }));
  await c.until(doneOf(1));
  assert.equal(c.messages.at(-1)?.status, 'ok');
});

test('Origin follows the CORS list; Host is checked without a token; other paths are 404', async (t) => {
  const server = await withServer(t, { corsOrigins: ['http://app.example'] });
  const url = wsUrl(server);
  const evil = await refusal(url, { origin: 'http://evil.example' });
  assert.equal(evil.status, 403);
  assert.equal(JSON.parse(evil.body).error.code, 'NBS_ORIGIN_NOT_ALLOWED');
  assert.equal((await refusal(url, { origin: 'http://app.example' })).status, 101);
  assert.equal((await refusal(url, {})).status, 101, 'no Origin: not a browser, CORS does not apply');
  const rebinding = await refusal(url, { host: 'evil.example' });
  assert.equal(rebinding.status, 403);
  assert.equal(JSON.parse(rebinding.body).error.code, 'NBS_HOST_NOT_ALLOWED');
  assert.equal((await refusal(wsUrl(server, '/nope'), {})).status, 404);
});

test('ping/pong keep-alive: the server pings, and cuts a socket that stops answering', async (t) => {
  const server = await withServer(t, { heartbeatS: 0.2 });
  const live = await open(t, wsUrl(server));
  const [ping] = await Promise.race([once(live.ws, 'ping'), sleep(5000).then(() => [null])]);
  assert.notEqual(ping, null, 'no ping within 5 s with a 0.2 s period');
  // A client that never answers (autoPong off) is closed after a missed period or two.
  const mute = await open(t, wsUrl(server), { autoPong: false });
  const closed = await Promise.race([once(mute.ws, 'close').then(() => true), sleep(10_000).then(() => false)]);
  assert.ok(closed, 'a socket that does not answer pings is closed');
  assert.equal(live.ws.readyState, WebSocket.OPEN, 'a socket that answers stays open');
});

test('bench measures ws:// with the same record as HTTP: one read per event, the socket reused', async (t) => {
  const server = await withServer(t);
  const body = JSON.stringify({ notebook_id: 'n1', operation: { type: 'ping', count: 10, interval_ms: 30 }, lang: 'en' });
  const run = await runBench(await specFor(wsUrl(server), { body }), { requests: 3, warmup: 0 });
  for (const [i, r] of run.records.entries()) {
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.status, 101);
    assert.equal(r.events, 11);
    assert.equal(r.contentEvents, 10);
    assert.equal(r.serverStats?.events, 10);
    assert.equal(r.reusedConnection, i > 0);
    assert.equal(r.connectUs === null, i > 0);
    assert.ok(r.firstContentUs !== null && r.endUs > r.firstContentUs);
    assert.ok(r.wireBytes >= r.bytes, `frames cost bytes: wire ${r.wireBytes} ≥ payload ${r.bytes}`);
    // 30 ms apart: nearly every event in its own read (a loaded machine may merge a pair).
    assert.ok(r.reads >= 8, `${r.events} events in ${r.reads} reads`);
  }
  // A refused operation is an http_status error with the operation's status.
  const bad = await runBench(await specFor(wsUrl(server), { body: '{"notebook_id":"n1","operation":{"type":"nope"}}' }), { requests: 1, warmup: 0 });
  assert.equal(bad.records[0]?.error?.kind, 'http_status');
  assert.equal(bad.records[0]?.status, 400);
});

test('shutdown: operations on a socket end with done status shutdown, then the socket closes with 1001', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent' });
  t.after(() => server.shutdown(0));
  const c = await open(t, wsUrl(server));
  c.send(op('long', { type: 'ping', count: 100, interval_ms: 1000 }));
  await c.until((m) => m.some((x) => x.id === 'long' && x.event === 'chunk'));
  const closed = once(c.ws, 'close');
  const closing = server.shutdown(5);
  // An upgrade refused meanwhile keeps the listener lingering, as a refused HTTP request does.
  const late = await refusal(wsUrl(server), {});
  assert.equal(late.status, 503);
  assert.equal(JSON.parse(late.body).error.code, 'NBS_SHUTTING_DOWN');
  assert.ok(server.app.state.refusedAt > -Infinity, 'the refused upgrade was noted for the linger');
  await closing;
  const done = c.messages.find((m) => m.id === 'long' && m.event === 'done');
  assert.equal(done?.status, 'shutdown');
  const [code] = (await closed) as [number];
  assert.equal(code, 1001);
});

test('the CLI: bench measures ws:// and writes a valid report; check-headers refuses ws:// with exit 2', async (t) => {
  const server = await withServer(t);
  const url = wsUrl(server);
  const bench = await cliRun(['bench', url, '-n', '3', '--body', JSON.stringify({ notebook_id: 'n1', operation: { type: 'ping', count: 5, interval_ms: 10 } }), '--json', '--no-out']);
  assert.equal(bench.code, 0, bench.stderr);
  const report = JSON.parse(bench.stdout) as Report;
  assert.deepEqual(reportErrors(report), []);
  const c = report.configurations[0]!;
  assert.equal(c.target.url, url);
  assert.equal(c.requests.ok, 3);
  assert.ok((c.scalars['wire_bytes_per_event'] ?? 0) > 0);
  const check = await cliRun(['check-headers', url]);
  assert.equal(check.code, 2);
  assert.match(check.stderr, /check-headers judges the headers of an HTTP stream.*bench or doctor/);
  const bad = await cliRun(['bench', url, '--http2', '-n', '1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--http2 does not apply to a ws:\/\/ URL/);
});
