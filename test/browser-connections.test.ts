import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchJson, chromium } from './helpers/browser-bench.js';
import { startServeProcess } from './helpers/serve-process.js';
import { makeSelfSignedCert } from './helpers/tls-cert.js';
import { warningText } from '../src/model/warnings.js';

test('bench --browser -c 8: over HTTP/1.1 two page streams wait for a connection; over TLS with h2 none do', { timeout: 180_000 }, async (t) => {
  if (chromium(t) === null) return;
  // No warmup: with one, a ninth stream would start while two wait, and wait too.
  const h1 = await benchJson(['-c', '8', '-n', '8', '--warmup', '0']);
  assert.equal(h1.browser!.queued_streams.length, 2, JSON.stringify(h1.browser!.queued_streams));
  const others = h1.metrics['queued_ms']!;
  for (const q of h1.browser!.queued_streams) assert.ok(q.queued_ms > others.p50!, `a queued stream (${q.queued_ms} ms) waited longer than the median one (${others.p50} ms)`);
  assert.ok(h1.warnings.map(warningText).some((w) => /2 of 8 page streams waited/.test(w) && /HTTP\/2 over TLS/.test(w)), JSON.stringify(h1.warnings));

  const { certFile, keyFile } = makeSelfSignedCert();
  const server = await startServeProcess(['--tls-cert', certFile, '--tls-key', keyFile]);
  t.after(() => server.stop());
  const h2 = await benchJson([`${server.url.replace(/\/$/, '')}/send_operation`, '--insecure', '-c', '8', '-n', '8', '--warmup', '0']);
  assert.deepEqual(h2.browser!.requests, { measured: 8, ok: 8, failed: 0 });
  assert.deepEqual(h2.browser!.queued_streams, []);
  assert.ok(h2.browser!.protocol === null || h2.browser!.protocol === 'h2', `protocol ${h2.browser!.protocol}`);
  assert.ok(!h2.warnings.map(warningText).some((w) => /waited for another stream/.test(w)));
});

