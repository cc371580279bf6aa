import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doctor } from '../src/probe/doctor.js';
import type { DoctorResult } from '../src/model/doctor-result.js';
import { startCoalescingBackend } from './helpers/coalescing-backend.js';
import { opts, PING } from './helpers/coalescing-cases.js';
import { requireNginx } from './helpers/nginx.js';
import { nginxInFront, STREAMING_PROXY } from './helpers/nginx-front.js';

/**
 * Issue 26's coalescing backends with a real nginx (buffering off) in front, measured hop by hop:
 * both hops show the backend's buffer, and the summary blames the backend, not nginx.
 */
const show = (r: DoctorResult) =>
  `${r.verdict}: ${r.reason}\n` +
  (r.hops ?? []).map((h) => `  ${h.name} ${h.verdict} tpe=${h.tokensPerEvent} rule=${h.rule} adds=${h.addedMs}±${h.addedNoiseMs}`).join('\n') +
  `\n  blame: ${JSON.stringify(r.blame)}\n  fixes: ${r.fixes.map((f) => f.id).join(', ')}`;

for (const rule of ['timer', 'size', 'both'] as const) {
  test(`a backend coalescing by ${rule}, nginx (buffering off) in front: both hops say so, the summary blames the backend`, async (t) => {
    const nginx = requireNginx(t);
    if (nginx === null) return;
    const origin = await startCoalescingBackend(t, { rule, stamps: false });
    const proxied = await nginxInFront(t, nginx, new URL(origin).host, STREAMING_PROXY);
    const r = await doctor(opts(proxied, { body: PING, runs: 2, hops: [{ name: 'origin', url: origin }, { name: 'nginx', url: proxied }] }));
    t.diagnostic(show(r));
    const expected = rule === 'size' ? 'SIZE_THRESHOLD' : 'PERIODIC_FLUSH';
    assert.deepEqual(r.hops!.map((h) => h.verdict), [expected, expected], show(r));
    assert.ok(r.hops![0]!.tokensPerEvent! >= 3, show(r));
    assert.equal(r.classification.rule, rule === 'both' ? 'timer+size' : rule, show(r));
    assert.equal(r.blame?.kind, 'backend', show(r));
    assert.equal(r.blame?.hop, 'origin');
    assert.equal(r.fixes[0]?.id, 'flush-per-event');
    assert.ok(!r.fixes.some((f) => f.id === 'proxy-buffering-off'), 'nginx streams here: no proxy fix');
  });
}
