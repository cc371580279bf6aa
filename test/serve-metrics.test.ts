import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startServer } from '../src/server/serve.js';
import { parsePrometheus, sampleValue } from './helpers/prometheus.js';
import { JSON_HEADERS, parseSseBody, pingBody, rawRequest } from './helpers/raw-http.js';

test('/metrics is Prometheus text and its counters match the streams this test ran', async (t) => {
  const server = await startServer({ port: 0, logLevel: 'silent', allowPolicyOverride: true });
  t.after(() => server.shutdown(0));
  let events = 0;
  let bytes = 0;
  let writes = 0;
  for (let i = 0; i < 3; i++) {
    const res = await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: 5, interval_ms: 1 }) });
    const stats = parseSseBody(res.body).events.at(-1)?.data['stats'] as { events: number; bytes: number; writes: number };
    events += stats.events;
    bytes += stats.bytes;
    writes += stats.writes;
  }
  await rawRequest(server.url, { path: '/send_operation', headers: { ...JSON_HEADERS, 'x-nbs-flush-policy': 'guide-after' }, body: pingBody({ count: 2, interval_ms: 1 }) });
  await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: pingBody({ count: -1 }) });
  await rawRequest(server.url, { path: '/send_operation', headers: JSON_HEADERS, body: '{bad' });
  const res = await rawRequest(server.url, { method: 'GET', path: '/metrics' });
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
  const samples = parsePrometheus(res.body);
  assert.equal(sampleValue(samples, 'nbs_streams_total', { operation: 'ping', policy: 'adaptive', outcome: 'ok' }), 3);
  assert.equal(sampleValue(samples, 'nbs_streams_total', { operation: 'ping', policy: 'guide-after', outcome: 'ok' }), 1);
  assert.equal(sampleValue(samples, 'nbs_events_sent_total', { policy: 'adaptive' }), events);
  assert.equal(sampleValue(samples, 'nbs_bytes_sent_total', { policy: 'adaptive' }), bytes);
  assert.equal(sampleValue(samples, 'nbs_writes_total', { policy: 'adaptive' }), writes);
  assert.equal(sampleValue(samples, 'nbs_server_first_chunk_seconds_count', { policy: 'adaptive' }), 3);
  assert.equal(sampleValue(samples, 'nbs_hold_seconds_count', { policy: 'adaptive' }), events);
  assert.equal(sampleValue(samples, 'nbs_errors_total', { code: 'NBS_INVALID_BODY' }), 1);
  assert.equal(sampleValue(samples, 'nbs_errors_total', { code: 'NBS_BAD_JSON' }), 1);
  assert.equal(sampleValue(samples, 'nbs_streams_active'), 0);
  // The server has run six requests since its metrics were registered: some CPU time was used.
  assert.ok((sampleValue(samples, 'process_cpu_seconds_total') ?? 0) > 0, 'process metrics');
  assert.ok(samples.every((s) => !Object.values(s.labels).includes('n1')), 'no notebook id in any label');
});
