import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { UsageError } from '../src/model/errors.js';
import { ADAPTIVE } from '../src/model/flush-presets.js';
import { RequestError, type Lang } from '../src/server/request-error.js';
import { createChatSource, describeLlmConfig, resolveLlmConfig, type ChatSource, type LlmFlags } from '../src/server/sources/chat.js';
import { PLACEHOLDER_API_KEY } from '../src/server/sources/llm-config.js';
import type { Payload } from '../src/server/source.js';
import { syntheticToken } from '../src/upstream/profile.js';
import type { Upstream } from '../src/upstream/server.js';
import { eventually, nextMacrotask, upstreamFor } from './llm-helpers.js';

const KEY = 'sk-test-SECRETKEY-0123456789abcdef';

function sourceFor(t: TestContext, flags: LlmFlags, env: NodeJS.ProcessEnv = {}): ChatSource {
  const src = createChatSource(resolveLlmConfig(flags, env));
  t.after(() => src.close());
  return src;
}

async function chatSetup(t: TestContext, extra: LlmFlags = {}): Promise<{ up: Upstream; src: ChatSource }> {
  const up = await upstreamFor(t);
  const src = sourceFor(t, { llmBaseUrl: up.url, ...extra }, { OPENAI_API_KEY: KEY });
  return { up, src };
}

function ctxFor(signal: AbortSignal, lang: Lang = 'en') {
  return { signal, settings: ADAPTIVE, notebookId: 'test', lang };
}

async function collect(src: ChatSource, operation: Record<string, unknown>, signal = new AbortController().signal): Promise<Payload[]> {
  const op = src.validate({ messages: [{ role: 'user', content: 'hi' }], ...operation }, 'en');
  const out: Payload[] = [];
  for await (const p of await src.open(op, ctxFor(signal))) out.push(p);
  return out;
}

function texts(payloads: Payload[]): string[] {
  return payloads.flatMap((p) => (p.type === 'chunk' ? [p.text] : []));
}

test('validation refuses bad bodies with NBS_INVALID_BODY naming the field', (t) => {
  const src = sourceFor(t, { llmBaseUrl: 'http://127.0.0.1:9/v1' });
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ model: 'm' }, /operation\.messages/],
    [{ model: 'm', messages: [] }, /operation\.messages/],
    [{ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }, /messages\[0\]\.role/],
    [{ model: 'm', messages: [{ role: 'user', content: 5 }] }, /messages\[0\]\.content/],
    [{ messages: [{ role: 'user', content: 'x' }] }, /operation\.model is required/],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }, /operation\.max_tokens/],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1.5 }, /operation\.max_tokens/],
  ];
  for (const [op, message] of bad) {
    assert.throws(
      () => src.validate(op, 'en'),
      (e: unknown) => e instanceof RequestError && e.code === 'NBS_INVALID_BODY' && e.statusCode === 400 && message.test(e.message),
      JSON.stringify(op),
    );
  }
  assert.throws(() => src.validate({ model: 'm' }, 'zh'), /必须/);
  const withDefault = sourceFor(t, { llmBaseUrl: 'http://127.0.0.1:9/v1', llmModel: 'synthetic' });
  assert.equal(withDefault.validate({ messages: [{ role: 'user', content: 'x' }] }, 'en').model, 'synthetic');
});

test('deltas arrive in order as chunk payloads, then a result with usage and finish_reason', async (t) => {
  const { src } = await chatSetup(t);
  const payloads = await collect(src, { model: 'synthetic?ttft_ms=0&tps=500&tokens=12' });
  assert.deepEqual(texts(payloads), Array.from({ length: 12 }, (_, i) => syntheticToken(i)));
  const result = payloads.at(-1);
  assert.equal(result?.type, 'result');
  assert.ok(result?.type === 'result');
  assert.equal(result.finish_reason, 'stop');
  assert.equal((result.usage as { completion_tokens: number }).completion_tokens, 12);
  assert.equal(payloads.filter((p) => p.type === 'result').length, 1);
});

test('max_tokens reaches the upstream (finish_reason length); the recording keeps its CJK and emoji', async (t) => {
  const { src } = await chatSetup(t);
  const cut = await collect(src, { model: 'synthetic?ttft_ms=0&tps=500&tokens=12', max_tokens: 4 });
  assert.equal(texts(cut).length, 4);
  assert.equal((cut.at(-1) as { finish_reason: string }).finish_reason, 'length');
  const zh = await collect(src, { model: 'zh-streaming-tips?speed=20' });
  const answer = texts(zh).join('');
  assert.match(answer, /^流式输出的首块延迟/);
  assert.ok(answer.includes('🚀') && answer.includes('👍🏽') && answer.endsWith('✅'));
});

test('open() resolves at the first delta, not before: a failure before it can still be a 4xx/5xx', async (t) => {
  const { src } = await chatSetup(t);
  const op = src.validate({ model: 'synthetic?ttft_ms=250&tps=100&tokens=3', messages: [{ role: 'user', content: 'x' }] }, 'en');
  const start = performance.now();
  const iterable = await src.open(op, ctxFor(new AbortController().signal));
  const opened = performance.now() - start;
  assert.ok(opened >= 240 && opened < 3000, `open() took ${opened} ms, expected ~250`);
  const payloads: Payload[] = [];
  for await (const p of iterable) payloads.push(p);
  assert.equal(texts(payloads).length, 3);
});

test('pooling: sequential requests reuse one upstream connection', async (t) => {
  const { up, src } = await chatSetup(t);
  for (let i = 0; i < 4; i++) {
    await collect(src, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=3' });
    // undici hands a connection back to its pool one macrotask after the response's last read:
    // a request issued in the same macrotask opens a second one (raw undici fetch does the same).
    await nextMacrotask();
  }
  assert.equal(up.stats.chatRequests, 4);
  assert.equal(up.stats.connections, 1);
});

test('aborting ctx.signal mid-stream ends the iterable and reaches the upstream', async (t) => {
  const { up, src } = await chatSetup(t);
  const controller = new AbortController();
  const op = src.validate({ model: 'synthetic?ttft_ms=0&tps=50&tokens=1000', messages: [{ role: 'user', content: 'x' }] }, 'en');
  const payloads: Payload[] = [];
  const start = performance.now();
  for await (const p of await src.open(op, ctxFor(controller.signal))) {
    payloads.push(p);
    if (payloads.length === 2) controller.abort();
  }
  assert.ok(performance.now() - start < 5000, 'the iterable ended promptly');
  assert.ok(payloads.length <= 3 && payloads.every((p) => p.type === 'chunk'), 'no error payload and no result for a hang-up');
  assert.ok(await eventually(() => up.stats.closedEarly === 1), `upstream closedEarly=${up.stats.closedEarly}`);
});

test('aborting before the first delta: open() returns an empty iterable and the upstream sees the close', async (t) => {
  const { up, src } = await chatSetup(t);
  const controller = new AbortController();
  const op = src.validate({ model: 'synthetic?ttft_ms=20000&tokens=5', messages: [{ role: 'user', content: 'x' }] }, 'en');
  const opening = src.open(op, ctxFor(controller.signal));
  assert.ok(await eventually(() => up.stats.active === 1));
  controller.abort();
  const payloads: Payload[] = [];
  for await (const p of await opening) payloads.push(p);
  assert.deepEqual(payloads, []);
  assert.ok(await eventually(() => up.stats.closedEarly === 1), `upstream closedEarly=${up.stats.closedEarly}`);
});

async function openError(src: ChatSource, model: string): Promise<RequestError> {
  try {
    await collect(src, { model });
  } catch (err) {
    assert.ok(err instanceof RequestError, String(err));
    return err;
  }
  assert.fail(`${model}: expected a RequestError`);
}

test('failures before the first delta become RequestErrors with their NBS_LLM code', async (t) => {
  const { src } = await chatSetup(t, { llmIdleTimeoutS: 0.3 });
  const cases: Array<[string, string, number]> = [
    ['synthetic?fail=401', 'NBS_LLM_AUTH', 502],
    ['synthetic?fail=403', 'NBS_LLM_AUTH', 502],
    ['no-such-model', 'NBS_LLM_MODEL_NOT_FOUND', 400],
    ['synthetic?fail=429&retry_after_s=7', 'NBS_LLM_RATE_LIMITED', 429],
    ['synthetic?fail=500', 'NBS_LLM_UPSTREAM', 502],
    ['synthetic?fail=503', 'NBS_LLM_UPSTREAM', 502],
    ['synthetic?reset_after=0', 'NBS_LLM_UPSTREAM', 502],
    ['synthetic?error_after=0', 'NBS_LLM_UPSTREAM', 502],
    ['synthetic?stall_after=0', 'NBS_LLM_STALLED', 504],
  ];
  for (const [model, code, status] of cases) {
    const err = await openError(src, model);
    assert.equal(err.code, code, `${model}: ${err.message}`);
    assert.equal(err.statusCode, status, model);
    assert.ok(!err.message.includes(KEY), `${model}: the key leaked into "${err.message}"`);
    if (code === 'NBS_LLM_RATE_LIMITED') assert.equal(err.retryAfterS, 7);
  }
});

test('an unreachable upstream is NBS_LLM_UPSTREAM; no configuration at all is NBS_LLM_NOT_CONFIGURED', async (t) => {
  // A port that was free a moment ago: nothing listens there now.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const src = sourceFor(t, { llmBaseUrl: `http://127.0.0.1:${port}/v1` }, { OPENAI_API_KEY: KEY });
  const err = await openError(src, 'synthetic');
  assert.equal(err.code, 'NBS_LLM_UPSTREAM');
  assert.match(err.message, /ECONNREFUSED/);
  const none = sourceFor(t, {}, {});
  const notConfigured = await openError(none, 'synthetic');
  assert.equal(notConfigured.code, 'NBS_LLM_NOT_CONFIGURED');
  assert.equal(notConfigured.statusCode, 503);
});

test('failures after the first delta are an error payload, then the iterable ends', async (t) => {
  const { up, src } = await chatSetup(t, { llmIdleTimeoutS: 0.3 });
  const reset = await collect(src, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=10&reset_after=3' });
  assert.deepEqual(texts(reset), [0, 1, 2].map(syntheticToken));
  assert.deepEqual(reset.at(-1), { type: 'error', code: 'NBS_LLM_UPSTREAM', message: (reset.at(-1) as { message: string }).message });
  const inStream = await collect(src, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=10&error_after=1' });
  assert.deepEqual(texts(inStream), [syntheticToken(0)]);
  const inStreamError = inStream.at(-1);
  assert.ok(inStreamError?.type === 'error' && inStreamError.code === 'NBS_LLM_UPSTREAM', JSON.stringify(inStreamError));
  assert.match(inStreamError.message, /in the stream/);
  const start = performance.now();
  const stalled = await collect(src, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=10&stall_after=2' });
  const took = performance.now() - start;
  assert.deepEqual(texts(stalled), [0, 1].map(syntheticToken));
  const last = stalled.at(-1);
  assert.ok(last?.type === 'error' && last.code === 'NBS_LLM_STALLED', JSON.stringify(last));
  assert.ok(took >= 280 && took < 5000, `stalled after ${took} ms, idle timeout 300 ms`);
  // The stalled request was aborted: the upstream saw it close.
  assert.ok(await eventually(() => up.stats.closedEarly === 1), `upstream closedEarly=${up.stats.closedEarly}`);
});

test('a slow consumer is not an upstream stall: the idle clock runs only while waiting for the upstream', async (t) => {
  const { src } = await chatSetup(t, { llmIdleTimeoutS: 0.2 });
  const op = src.validate({ model: 'synthetic?ttft_ms=0&tps=1000&tokens=3', messages: [{ role: 'user', content: 'x' }] }, 'en');
  const payloads: Payload[] = [];
  for await (const p of await src.open(op, ctxFor(new AbortController().signal))) {
    payloads.push(p);
    await new Promise((resolve) => setTimeout(resolve, 350));
  }
  assert.deepEqual(texts(payloads), [0, 1, 2].map(syntheticToken));
  assert.equal(payloads.at(-1)?.type, 'result');
});

test('the API key appears in no error message or printed config, even when the upstream echoes it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nbs-key-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const keyFile = join(dir, 'key');
  await writeFile(keyFile, `${KEY}\n`);
  const up = await upstreamFor(t);
  const config = resolveLlmConfig({ llmBaseUrl: up.url, llmApiKeyFile: keyFile }, {});
  assert.equal(config.apiKeySource, 'llmApiKeyFile');
  const src = createChatSource(config);
  t.after(() => src.close());
  // The replay upstream's 401 body carries the presented key in full, on purpose.
  const raw = await fetch(`${up.url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ model: 'synthetic?fail=401', messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.ok((await raw.text()).includes(KEY), 'the upstream echoes the key');
  const err = await openError(src, 'synthetic?fail=401');
  assert.equal(err.code, 'NBS_LLM_AUTH');
  const printed = [err.message, String(err), inspect(err), JSON.stringify(config), inspect(config), String(config.apiKey), describeLlmConfig(config)];
  for (const text of printed) assert.ok(!text.includes(KEY), `key leaked: ${text}`);
  assert.match(err.message, /\[redacted\]/);
});

test('a keyless local upstream works: the SDK sends the placeholder key', async (t) => {
  const up = await upstreamFor(t);
  const src = sourceFor(t, { llmBaseUrl: up.url }, {});
  const payloads = await collect(src, { model: 'synthetic?ttft_ms=0&tps=1000&tokens=2' });
  assert.equal(texts(payloads).length, 2);
  // The 401 profile echoes what was presented: the placeholder (not a secret).
  const err = await openError(src, 'synthetic?fail=401');
  assert.ok(err.message.includes(PLACEHOLDER_API_KEY));
});

test('resolveLlmConfig: base URL from the flag, then OPENAI_BASE_URL, then OPENAI_API_BASE', async (t) => {
  const env = { OPENAI_BASE_URL: 'http://b.example/v1', OPENAI_API_BASE: 'http://c.example/v1' };
  assert.equal(resolveLlmConfig({ llmBaseUrl: 'http://a.example/v1/' }, env).baseURL, 'http://a.example/v1');
  assert.equal(resolveLlmConfig({}, env).baseURLSource, 'OPENAI_BASE_URL');
  assert.equal(resolveLlmConfig({}, { OPENAI_API_BASE: 'http://c.example/v1' }).baseURL, 'http://c.example/v1');
  assert.equal(resolveLlmConfig({}, { OPENAI_BASE_URL: '', OPENAI_API_BASE: 'http://c.example/v1' }).baseURLSource, 'OPENAI_API_BASE');
  const keyOnly = resolveLlmConfig({}, { OPENAI_API_KEY: KEY });
  assert.equal(keyOnly.baseURL, 'https://api.openai.com/v1');
  assert.equal(keyOnly.apiKeySource, 'OPENAI_API_KEY');
  const nothing = resolveLlmConfig({}, {});
  assert.equal(nothing.baseURL, undefined);
  assert.equal(nothing.apiKey, undefined);
  assert.equal(nothing.idleTimeoutS, 60);
  assert.throws(() => resolveLlmConfig({ llmBaseUrl: 'ftp://x' }, {}), (e: unknown) => e instanceof UsageError && /llmBaseUrl/.test(e.message));
  assert.throws(() => resolveLlmConfig({}, { OPENAI_API_BASE: 'not a url' }), /OPENAI_API_BASE is not a URL/);
  assert.throws(() => resolveLlmConfig({ llmApiKeyFile: '/nonexistent/key' }, {}), (e: unknown) => e instanceof UsageError && /llmApiKeyFile/.test(e.message));
  assert.throws(() => resolveLlmConfig({ llmIdleTimeoutS: 0 }, {}), /llmIdleTimeoutS/);
  const dir = await mkdtemp(join(tmpdir(), 'nbs-key-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'empty'), '\n');
  assert.throws(() => resolveLlmConfig({ llmApiKeyFile: join(dir, 'empty') }, {}), /one key on one line/);
  await writeFile(join(dir, 'key'), `${KEY}\n`);
  const fromFile = resolveLlmConfig({ llmApiKeyFile: join(dir, 'key') }, { OPENAI_API_KEY: 'other' });
  assert.equal(fromFile.apiKey?.reveal(), KEY);
});

test('addLlmOptions parses the serve flags into the shape resolveLlmConfig takes', async () => {
  const { Command } = await import('commander');
  const { addLlmOptions } = await import('../src/cli/llm-options.js');
  const cmd = addLlmOptions(new Command('serve')).exitOverride();
  cmd.parse(['--llm-base-url', 'http://127.0.0.1:18700/v1', '--llm-model', 'synthetic', '--llm-idle-timeout-s', '2.5'], { from: 'user' });
  const flags = cmd.opts<LlmFlags>();
  assert.deepEqual(flags, { llmBaseUrl: 'http://127.0.0.1:18700/v1', llmModel: 'synthetic', llmIdleTimeoutS: 2.5 });
  const config = resolveLlmConfig(flags, {});
  assert.equal(config.baseURLSource, 'llmBaseUrl');
  assert.equal(config.idleTimeoutS, 2.5);
  const bad = addLlmOptions(new Command('serve')).exitOverride().configureOutput({ writeErr: () => {} });
  assert.throws(() => bad.parse(['--llm-idle-timeout-s', '0'], { from: 'user' }), /llm-idle-timeout-s/);
});
