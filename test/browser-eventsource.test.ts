import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchJson, chromium } from './helpers/browser-bench.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

test('bench --browser --browser-api eventsource against a GET SSE stream', { timeout: 180_000 }, async (t) => {
  if (chromium(t) === null) return;
  // A GET stream as EventSource needs it: named events with stamps, then `done`.
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/events') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let seq = 0;
    const timer = setInterval(() => {
      const t = Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
      if (seq === 20) {
        clearInterval(timer);
        res.end(`event: done\ndata: {"seq":${seq},"t":${t},"t_src":${t},"status":"ok"}\n\n`);
        return;
      }
      res.write(`event: chunk\ndata: {"seq":${seq++},"t":${t},"t_src":${t},"text":"tok "}\n\n`);
    }, 10);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  const c = await benchJson([url, '--browser-api', 'eventsource', '-n', '3', '--warmup', '0']);
  const b = c.browser!;
  assert.equal(b.api, 'eventsource');
  assert.deepEqual(b.requests, { measured: 3, ok: 3, failed: 0 });
  assert.equal(c.metrics['browser_first_content_ms']!.count, 3);
  // Every event, `done` included, and no reconnection after the stream ended.
  assert.equal(c.metrics['browser_gap_ms']!.count, 3 * 20);
  assert.equal(b.overhead_from, 't');
  assert.ok(c.metrics['browser_overhead_ms']!.count > 0, 'page events paired with the wire twin');
});
