import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { nginxConfig, NGINX_DEFAULTS } from '../src/deploy/nginx-config.js';
import { runBench } from '../src/probe/run-bench.js';
import { specFor } from './helpers/bench-spec.js';
import { requireNginx, startNginx, testNginxConfig } from './helpers/nginx.js';
import { startServeProcess } from './helpers/serve-process.js';

/** A host's http {} that compresses and buffers whatever it is not told otherwise about. */
const HOSTILE_HTTP = ['    gzip on;', '    gzip_types text/event-stream text/plain application/json;', '    gzip_min_length 0;', '    proxy_buffering on;'].join('\n');

const EVENTS = 5;
// 200 ms apart: a read delayed by load cannot take two events along.
const PING = JSON.stringify({ notebook_id: 'n1', operation: { type: 'ping', count: EVENTS, interval_ms: 200, token: 'token '.repeat(20) }, lang: 'en' });

/** serve --compress auto --ws-deflate behind nginx with the generated config, in the hostile http {}. */
async function serveBehindNginx(t: TestContext): Promise<{ port: number } | null> {
  const nginx = requireNginx(t);
  if (nginx === null) return null;
  const serve = await startServeProcess(['--compress', 'auto', '--ws-deflate']);
  t.after(() => serve.stop());
  const upstream = `127.0.0.1:${new URL(serve.url).port}`;
  const check = await testNginxConfig(`${HOSTILE_HTTP}\n${nginxConfig({ ...NGINX_DEFAULTS, locationOnly: false, upstream, listen: '127.0.0.1:18099' })}`, nginx);
  assert.ok(check.ok, `nginx -t: ${check.output}`);
  const proxy = await startNginx({ nginx, config: (port) => `${HOSTILE_HTTP}\n${nginxConfig({ ...NGINX_DEFAULTS, locationOnly: false, upstream, listen: `127.0.0.1:${port}` })}` });
  t.after(() => proxy.stop());
  return { port: proxy.port };
}

test('the /ws location passes the upgrade on (Upgrade, Connection, HTTP/1.1, read timeout, Host)', () => {
  const text = nginxConfig({ ...NGINX_DEFAULTS, locationOnly: true });
  const ws = text.slice(text.indexOf('location = /ws {'));
  for (const d of ['proxy_http_version 1.1;', 'proxy_set_header Upgrade $http_upgrade;', 'proxy_set_header Connection "upgrade";', 'proxy_read_timeout 3600s;', 'proxy_set_header Host $host;']) {
    assert.ok(ws.includes(d), d);
  }
  assert.match(nginxConfig({ ...NGINX_DEFAULTS, locationOnly: true, path: '/api/send_operation' }), /location = \/api\/ws \{/);
});

test('through the generated nginx config (gzip on in http {}): serve\'s flushed gzip and br and its WebSocket stream event by event', async (t) => {
  const proxy = await serveBehindNginx(t);
  if (proxy === null) return;
  const base = `127.0.0.1:${proxy.port}`;
  const cases = [
    { name: 'SSE + br', url: `http://${base}/send_operation`, flags: {}, encoding: 'br' },
    { name: 'SSE + gzip', url: `http://${base}/send_operation`, flags: { acceptEncoding: 'gzip' }, encoding: 'gzip' },
    { name: 'WebSocket + permessage-deflate', url: `ws://${base}/ws`, flags: {}, encoding: 'permessage-deflate' },
    { name: 'WebSocket', url: `ws://${base}/ws`, flags: { identity: true }, encoding: '' },
  ];
  for (const c of cases) {
    const run = await runBench(await specFor(c.url, { body: PING, ...c.flags }), { requests: 2, warmup: 0 });
    for (const r of run.records) {
      assert.equal(r.error, null, `${c.name}: ${JSON.stringify(r.error)}`);
      // serve's own encoding passes through: nginx neither recompresses nor buffers the stream.
      assert.equal(r.contentEncoding, c.encoding, c.name);
      assert.equal(r.events, EVENTS + 1, c.name);
      const reads = new Set(r.timeline.read.slice(0, EVENTS)).size;
      t.diagnostic(`${c.name}: ${EVENTS} chunk events in ${reads} reads, ${r.wireBytes} wire bytes for ${r.bytes} decoded`);
      assert.ok(reads >= EVENTS - 1, `${c.name}: chunk events in only ${reads} reads (${r.timeline.read.join(',')})`);
    }
  }
});
