import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doctor, type DoctorOptions } from '../../src/probe/doctor.js';
import type { DoctorResult } from '../../src/model/doctor-result.js';
import { startCoalescingBackend, type CoalescingBackend } from './coalescing-backend.js';
import { DOCTOR_FLAGS } from './doctor-flags.js';

/**
 * Issue 26's backends, each doing one thing, with or without `t` stamps: doctor's verdict must say
 * what. Shared by doctor-coalescing.test.ts (no stamps) and doctor-coalescing-stamps.test.ts, one
 * file each so that each stays well inside the per-file timeout on a loaded machine.
 */
export const opts = (url: string, over: Partial<DoctorOptions> = {}): DoctorOptions => ({ ...DOCTOR_FLAGS, url, runs: 1, budgetS: 60, ...over });
/** The guide's ping: 100 tokens of `tok ` 10 ms apart (1 s: ten releases of a 100 ms buffer). */
export const PING = JSON.stringify({ notebook_id: 'doctor', operation: { type: 'ping', count: 100, interval_ms: 10, token: 'tok ' }, lang: 'en' });

export const show = (r: DoctorResult) =>
  `${r.verdict} rule=${r.classification.rule} ${r.reason} | ${JSON.stringify(r.classification.coalescing)} | ` +
  r.attribution.map((s) => `${s.id}: ${s.verdict} ${s.conclusion}`).join(' | ');

export function defineCoalescingTests(stamps: boolean): void {
  const label = stamps ? 'with t stamps' : 'no stamps';

  test(`a backend that coalesces by time only (100 ms), ${label}: PERIODIC_FLUSH, rule timer`, async (t) => {
    const url = await startCoalescingBackend(t, { rule: 'timer', stamps, contentType: 'text/plain; charset=utf-8' });
    const r = await doctor(opts(url, { body: PING }));
    t.diagnostic(show(r));
    assert.equal(r.verdict, 'PERIODIC_FLUSH', show(r));
    assert.equal(r.classification.rule, 'timer', show(r));
    const T = r.classification.flushIntervalMs!;
    assert.ok(T >= 90 && T <= 200, `interval ${T} ms`);
    assert.ok(r.classification.coalescing!.tokensPerEvent >= 3, show(r));
    assert.equal(r.fixes[0]?.id, 'flush-per-event');
    assert.match(r.fixes[0]!.because, /the backend coalesces: [\d.]+ source tokens per event/);
  });

  test(`a backend that coalesces by size only (40 characters), ${label}: SIZE_THRESHOLD, rule size`, async (t) => {
    const url = await startCoalescingBackend(t, { rule: 'size', stamps });
    const r = await doctor(opts(url, { body: PING }));
    t.diagnostic(show(r));
    assert.equal(r.verdict, 'SIZE_THRESHOLD', show(r));
    assert.equal(r.classification.rule, 'size', show(r));
    assert.ok(r.classification.thresholdChars! >= 36 && r.classification.thresholdChars! <= 44, `~${r.classification.thresholdChars} characters`);
    assert.equal(r.fixes[0]?.id, 'flush-per-event');
  });

  test(`the guide's buffer, 40 characters or 100 ms, ${label}: PERIODIC_FLUSH, rule timer+size`, async (t) => {
    const url = await startCoalescingBackend(t, { rule: 'both', stamps, contentType: 'text/plain; charset=utf-8' });
    const r = await doctor(opts(url, { body: PING }));
    t.diagnostic(show(r));
    assert.equal(r.verdict, 'PERIODIC_FLUSH', show(r));
    assert.equal(r.classification.rule, 'timer+size', show(r));
    assert.equal(r.fixes[0]?.id, 'flush-per-event');
  });

  for (const interval of [10, 100]) {
    test(`one event per token at a steady ${interval} ms, ${label}: STREAMING`, async (t) => {
      const url = await startCoalescingBackend(t, { rule: 'none', stamps } satisfies CoalescingBackend);
      const body = JSON.stringify({ operation: { type: 'ping', count: interval === 10 ? 150 : 20, interval_ms: interval, token: 'tok ' } });
      const r = await doctor(opts(url, { body }));
      t.diagnostic(show(r));
      assert.equal(r.verdict, 'STREAMING', show(r));
      assert.deepEqual(r.fixes, []);
      assert.equal(r.classification.coalescing?.tokensPerEvent, 1);
    });
  }
}
