import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DoctorResult } from '../src/model/doctor-result.js';
import { chromium } from './helpers/browser-bench.js';
import { runCli, startServeProcess } from './helpers/serve-process.js';

test('doctor --browser: the wire streams, and 8 page streams over HTTP/1.1 name queueing as the cause, with the HTTP/2 fix; one stream never queues', { timeout: 180_000 }, async (t) => {
  if (chromium(t) === null) return;
  const server = await startServeProcess([]);
  t.after(() => server.stop());
  const url = `${server.url.replace(/\/$/, '')}/send_operation`;
  const eight = await runCli(['doctor', url, '--browser', '--runs', '1', '--json'], 170_000);
  assert.equal(eight.code, 0, `the wire streams: exit 0 (${eight.stderr})`);
  const r = JSON.parse(eight.stdout) as DoctorResult;
  assert.equal(r.verdict, 'STREAMING');
  const step = r.attribution.find((s) => s.id === 'browser');
  assert.ok(step !== undefined, 'the browser step is in the attribution');
  assert.equal(step.implicates, 'queueing', step.conclusion);
  assert.match(step.conclusion, /^the wire streams and the page does not: queueing: 2 of 8 page streams waited/);
  assert.equal(r.fixes[0]?.id, 'http2-tls');

  // One stream never waits for a connection (what the page's main thread does depends on the
  // machine's load, so it is not asserted here).
  const one = await runCli(['doctor', url, '--browser', '--browser-streams', '1', '--runs', '1', '--json'], 170_000);
  assert.ok(one.code === 0 || one.code === 1, one.stderr);
  const single = (JSON.parse(one.stdout) as DoctorResult).attribution.find((s) => s.id === 'browser');
  assert.equal(single?.changed, 'read by a page in headless Chromium, 1 stream at once');
  assert.notEqual(single?.implicates, 'queueing', single?.conclusion);
});
