import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nginxConfig, NGINX_DEFAULTS } from '../src/deploy/nginx-config.js';
import { requireNginx, startNginx } from './helpers/nginx.js';
import { rawRequest } from './helpers/raw-sse-client.js';
import { startServeProcess, type ServeProcess } from './helpers/serve-process.js';

/** A host's nginx.conf that would buffer any stream it is not told otherwise about. */
const HOSTILE_HTTP = [
  '    gzip on;',
  '    gzip_types text/event-stream text/plain;',
  '    gzip_min_length 0;',
  '    proxy_buffering on;',
].join('\n');

const COUNT = 20;
const PING = `{"notebook_id":"n1","operation":{"type":"ping","count":${COUNT},"interval_ms":50},"lang":"en"}`;

/** custom policy releasing every token at once, with the guide's old text/plain headers (no X-Accel-Buffering). */
const PLAIN_EVERY_TOKEN = [
  '--flush-policy', 'custom', '--plain-headers',
  '--buffer-chars', '1', '--min-chars', '1', '--flush-interval-ms', '0', '--release-wait-ms', '0',
];

/** serve on a free port, stopped after the test; the port read from its URL line. */
async function startServe(t: import('node:test').TestContext, args: string[]): Promise<ServeProcess & { port: number }> {
  const serve = await startServeProcess(args);
  t.after(() => serve.stop());
  return { ...serve, port: Number(new URL(serve.url).port) };
}

/**
 * serve behind nginx with the generated config. `serveArgs` picks the policy; with
 * `--plain-headers` serve sends no X-Accel-Buffering, so only the generated location keeps
 * nginx from buffering and compressing.
 */
async function streamThroughNginx(t: import('node:test').TestContext, serveArgs: string[]) {
  const nginx = requireNginx(t);
  if (nginx === null) return null;
  const serve = await startServe(t, serveArgs);
  const proxy = await startNginx({
    nginx,
    config: (port) =>
      `${HOSTILE_HTTP}\n` +
      nginxConfig({ ...NGINX_DEFAULTS, locationOnly: false, upstream: `127.0.0.1:${serve.port}`, listen: `127.0.0.1:${port}` }),
  });
  t.after(() => proxy.stop());
  const res = await rawRequest({
    port: proxy.port,
    method: 'POST',
    path: '/send_operation',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
    body: PING,
  });
  assert.equal(res.status, 200, `${res.text}\n${await proxy.errorLog()}\n${serve.stderr()}`);
  assert.equal(res.headers['content-encoding'], undefined, 'gzip is off for the stream');
  const chunks = res.events.filter((e) => e.event === 'chunk');
  assert.equal(chunks.length, COUNT);
  const done = res.events.at(-1);
  assert.equal(done?.event, 'done');
  for (const e of res.events) assert.match(e.data, /^\{"seq":\d+,"t":[\d.]+,"t_src":[\d.]+,/);
  const reads = new Set(chunks.map((e) => e.read)).size;
  t.diagnostic(`${chunks.length} chunk events in ${reads} reads: ${chunks.map((e) => e.read).join(' ')}`);
  // 50 ms apart: each event in its own read when nothing buffers. A loaded machine merges some
  // (serve catches up late tokens in one write; nginx or this client may read late), so at least
  // half: the buffering control below gives at most 2.
  assert.ok(reads >= COUNT / 2, `chunk events arrived in only ${reads} reads`);
  return res;
}

test('control: the same serve behind a naive location arrives in a lump', async (t) => {
  const nginx = requireNginx(t);
  if (nginx === null) return;
  const serve = await startServe(t, PLAIN_EVERY_TOKEN);
  const proxy = await startNginx({
    nginx,
    config: (port) =>
      `${HOSTILE_HTTP}\n    server {\n        listen 127.0.0.1:${port};\n` +
      `        location / {\n            proxy_pass http://127.0.0.1:${serve.port};\n            proxy_http_version 1.1;\n        }\n    }\n`,
  });
  t.after(() => proxy.stop());
  const res = await rawRequest({
    port: proxy.port,
    method: 'POST',
    path: '/send_operation',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
    body: PING,
  });
  assert.equal(res.status, 200);
  const chunks = res.events.filter((e) => e.event === 'chunk');
  assert.equal(chunks.length, COUNT);
  const reads = new Set(chunks.map((e) => e.read)).size;
  t.diagnostic(`${chunks.length} chunk events in ${reads} reads (content-encoding: ${res.headers['content-encoding']})`);
  assert.ok(reads <= 2, `expected a buffered lump, got ${reads} reads`);
});

test('serve (adaptive) behind the generated nginx config streams event by event', async (t) => {
  const res = await streamThroughNginx(t, []);
  if (res === null) return;
  assert.match(res.headers['content-type'] ?? '', /^text\/event-stream/);
  assert.equal(res.headers['x-accel-buffering'], undefined, 'nginx consumes X-Accel-Buffering');
});

test('serve without anti-buffering headers: the generated location alone keeps the stream unbuffered', async (t) => {
  const res = await streamThroughNginx(t, PLAIN_EVERY_TOKEN);
  if (res === null) return;
  assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
});
