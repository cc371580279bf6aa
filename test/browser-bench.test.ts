import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchJson, chromium, p50 } from './helpers/browser-bench.js';
import { runCli } from './helpers/serve-process.js';

test('bench --browser: a missing Chromium exits 3 with the install hint; eventsource refuses a POST (exit 2)', async () => {
  const missing = await runCli(['bench', '--browser', '--browser-path', '/nonexistent', '-n', '1', '--no-out'], 60_000);
  assert.equal(missing.code, 3, missing.stderr);
  assert.match(missing.stderr, /no Chromium at \/nonexistent: install Chromium \(Debian\/Ubuntu: apt-get install chromium\)/);
  assert.equal(missing.stdout, '');
  const post = await runCli(['bench', '--browser', '--browser-api', 'eventsource', '--browser-path', process.execPath, 'http://127.0.0.1:9/send_operation', '--no-out'], 60_000);
  assert.equal(post.code, 2, post.stderr);
  assert.match(post.stderr, /EventSource can only GET/);
  const alone = await runCli(['bench', '--browser-api', 'fetch', '--no-out'], 60_000);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--browser-api: only with --browser/);
});

test('bench --browser on serve adaptive: the page sees first content within one event gap of the wire, every event painted', { timeout: 180_000 }, async (t) => {
  if (chromium(t) === null) return;
  const c = await benchJson(['-n', '10', '--warmup', '0', '--flush-policy', 'adaptive']);
  const b = c.browser!;
  assert.equal(b.api, 'fetch');
  assert.deepEqual(b.requests, { measured: 10, ok: 10, failed: 0 });
  assert.equal(b.queued_streams.length, 0, 'one stream at a time never waits for a connection');
  assert.equal(b.overhead_from, 't', "serve stamps every event: overhead pairs delivery from the server's t");
  // The control is the stream's own cadence, measured on the wire in the same run: a page that
  // missed the first event, or timed it from the wrong start, would be a whole gap (or more) off.
  const gap = p50(c, 'gap_ms');
  const spread = Math.max(c.metrics['first_content_ms']!.p90! - c.metrics['first_content_ms']!.min!, c.metrics['browser_first_content_ms']!.p90! - c.metrics['browser_first_content_ms']!.min!);
  const diff = p50(c, 'browser_first_content_ms') - p50(c, 'first_content_ms');
  assert.ok(Math.abs(diff) < gap + spread, `page first content ${p50(c, 'browser_first_content_ms')} ms vs wire ${p50(c, 'first_content_ms')} ms: within one gap (${gap} ms) + spread (${spread} ms)`);
  assert.ok(p50(c, 'browser_overhead_ms') < gap, `browser_overhead_ms p50 ${p50(c, 'browser_overhead_ms')} ms: the typical event reaches the page before the next is sent (${gap} ms)`);
  // Every content event was appended and shown by a frame; the events reach the page at the wire's cadence.
  assert.equal(c.metrics['paint_delay_ms']!.count, 10 * 50);
  assert.equal(c.metrics['browser_gap_ms']!.count, 10 * 50, 'every event of every stream reached the page');
  // The HTML report's side by side: the page timeline of the same requests as the wire's.
  assert.deepEqual(
    b.timelines.map((x) => [x.role, x.request]),
    c.timelines.map((x) => [x.role, x.request]),
  );
  for (const tl of b.timelines) assert.equal(tl.events.length, 51);
});

test('bench --browser on guide-before: the page sees the lumps the wire sees', { timeout: 180_000 }, async (t) => {
  if (chromium(t) === null) return;
  const c = await benchJson(['-n', '4', '--warmup', '0', '--flush-policy', 'guide-before']);
  const b = c.browser!;
  assert.equal(b.requests.ok, 4);
  const wireEvents = c.metrics['events_per_stream']!;
  // 50 tokens of 4 characters coalesce into lumps of about 40 (docs/protocol.md): a handful of events.
  assert.ok(wireEvents.max! <= 12, `guide-before coalesces on the wire: ${wireEvents.max} events per stream`);
  for (const tl of b.timelines) {
    const wire = c.timelines.find((w) => w.request === tl.request)!;
    assert.ok(Math.abs(tl.events.length - wire.events.length) <= 1, `request ${tl.request}: page ${tl.events.length} events, wire ${wire.events.length}`);
    const content = tl.events.filter((e) => e.content);
    const chars = content.reduce((n, e) => n + e.chars, 0) / content.length;
    assert.ok(chars > 4 * 5, `the page's events are lumps of several tokens (${chars} characters on average)`);
  }
  assert.ok(p50(c, 'browser_gap_ms') > 2 * p50(c, 'browser_overhead_ms'), 'the lumps, not the browser, set the page gaps');
});

