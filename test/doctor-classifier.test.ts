import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyArrivals, majorityVerdict, resolveSteadyBySize, MIN_EVENTS, type ArrivalEntry } from '../src/probe/doctor-classifier.js';

/**
 * Synthetic timelines. A source produces event i at `prodMs(i)` (server clock = client clock + 5000,
 * to show no clock sync is needed) with `size(i)` bytes; a buffer decides when each event is
 * released; the client reads it `pathMs` later.
 */
interface Synth {
  n: number;
  prodMs: (i: number) => number;
  size?: (i: number) => number;
  release: (i: number, prod: number[], sizes: number[]) => number;
  stamps?: 't_src' | 't' | 'none';
  pathMs?: number;
}

function synth(s: Synth): ArrivalEntry[] {
  const prod = Array.from({ length: s.n }, (_, i) => s.prodMs(i));
  const sizes = Array.from({ length: s.n }, (_, i) => (s.size ?? (() => 100))(i));
  const rel = prod.map((_, i) => s.release(i, prod, sizes));
  const reads = new Map<number, number>();
  return rel.map((r, i) => {
    const arrival = r + (s.pathMs ?? 0.5);
    if (!reads.has(r)) reads.set(r, reads.size);
    const stamps = s.stamps ?? 't_src';
    return {
      arrivalUs: Math.round(arrival * 1000),
      read: reads.get(r)!,
      bytes: sizes[i]!,
      event: i === s.n - 1 ? 'done' : 'chunk',
      t: stamps === 'none' ? null : r + 5000,
      t_src: stamps === 't_src' ? prod[i]! + 5000 : null,
      content: i !== s.n - 1,
    };
  });
}

const steady = (ms: number) => (i: number) => 10 + i * ms;
/** Deterministic jitter in [-1, 1). */
const jitter = (i: number) => (((i * 7919) % 97) / 97) * 2 - 1;

test('STREAMING: every event released when produced', () => {
  const c = classifyArrivals(synth({ n: 50, prodMs: steady(20), release: (i, p) => p[i]! }));
  assert.equal(c.verdict, 'STREAMING', c.reason);
  assert.ok(c.evidence.medianWaitMs! <= 1);
});

test('STREAMING survives one scheduler hiccup of 30 ms', () => {
  const c = classifyArrivals(synth({ n: 50, prodMs: steady(20), release: (i, p) => p[i]! + (i === 17 ? 30 : 0) }));
  assert.equal(c.verdict, 'STREAMING', c.reason);
});

test('FULLY_BUFFERED: everything in one read at the end', () => {
  const c = classifyArrivals(synth({ n: 50, prodMs: steady(20), release: (_i, p) => p.at(-1)! }));
  assert.equal(c.verdict, 'FULLY_BUFFERED', c.reason);
  assert.equal(c.evidence.finalShare, 1);
  assert.ok(c.addedFirstContentMs! > 900, `first content waited ${c.addedFirstContentMs}`);
});

test('FULLY_BUFFERED: ≥ 90 % of the bytes in the final release, after one early read', () => {
  const c = classifyArrivals(synth({ n: 50, prodMs: steady(20), release: (i, p) => (i < 3 ? p[i]! : p.at(-1)!) }));
  assert.equal(c.verdict, 'FULLY_BUFFERED', c.reason);
});

test('FULLY_BUFFERED without stamps when the lump comes late', () => {
  const c = classifyArrivals(synth({ n: 50, prodMs: steady(20), release: (_i, p) => p.at(-1)!, stamps: 'none' }));
  assert.equal(c.verdict, 'FULLY_BUFFERED', c.reason);
  assert.equal(c.evidence.stamps, 'none');
});

test('SIZE_THRESHOLD: a 4 KiB byte buffer over a bursty source of varying sizes', () => {
  const N = 4096;
  const size = (i: number) => 60 + ((i * 131) % 400);
  // Fast and slow phases (2 ms and 12 ms apart), as tokens come from a model: releases follow bytes, not time.
  const prod: number[] = [10];
  for (let i = 1; i < 200; i++) prod.push(prod[i - 1]! + (Math.floor(i / 25) % 2 === 0 ? 2 : 12));
  const c = classifyArrivals(
    synth({
      n: 200,
      prodMs: (i) => prod[i]!,
      size,
      release: (i, p, sizes) => {
        // Released when the cumulative bytes cross the next multiple of N (the event that crossed it waits for the next release).
        let cum = 0;
        for (let j = 0; j <= i; j++) cum += sizes[j]!;
        const k = Math.floor(cum / N);
        let cum2 = 0;
        for (let j = 0; j < p.length; j++) {
          cum2 += sizes[j]!;
          if (Math.floor(cum2 / N) > k) return p[j]!;
        }
        return p.at(-1)!;
      },
    }),
  );
  assert.equal(c.verdict, 'SIZE_THRESHOLD', c.reason);
  assert.ok(c.thresholdKiB! >= 3.5 && c.thresholdKiB! <= 4.5, `~${c.thresholdKiB} KiB`);
});

test('PERIODIC_FLUSH: a 100 ms timer over an irregular source reports the interval and the added latency', () => {
  const c = classifyArrivals(
    synth({
      n: 150,
      prodMs: (i) => 10 + i * 13 + jitter(i) * 6,
      size: (i) => 40 + ((i * 37) % 200),
      release: (i, p) => Math.ceil(p[i]! / 100) * 100,
    }),
  );
  assert.equal(c.verdict, 'PERIODIC_FLUSH', c.reason);
  assert.ok(Math.abs(c.flushIntervalMs! - 100) <= 5, `interval ${c.flushIntervalMs}`);
  assert.ok(c.addedFirstContentMs! > 50 && c.addedFirstContentMs! <= 100, `added ${c.addedFirstContentMs}`);
});

test('PERIODIC_FLUSH: the guide\'s 50 ms buffer coalescing events (one event per release, hold in t − t_src)', () => {
  // Each release is one coalesced event whose oldest payload (t_src) was produced up to 50 ms earlier.
  const entries: ArrivalEntry[] = [];
  for (let k = 0; k < 40; k++) {
    const t = 50 * (k + 1) + jitter(k) * 2;
    const tSrc = t - 45 + jitter(k + 3) * 4;
    entries.push({ arrivalUs: Math.round((t + 0.4) * 1000), read: k, bytes: 100 + ((k * 53) % 60), event: 'chunk', t: t + 9000, t_src: tSrc + 9000 });
  }
  const c = classifyArrivals(entries);
  assert.equal(c.verdict, 'PERIODIC_FLUSH', c.reason);
  assert.ok(Math.abs(c.flushIntervalMs! - 50) <= 3, `interval ${c.flushIntervalMs}`);
});

test('steady source: size and time both regular → PERIODIC_FLUSH marked steady', () => {
  const c = classifyArrivals(synth({ n: 100, prodMs: steady(10), release: (i, p) => p[Math.min(p.length - 1, Math.floor(i / 10) * 10 + 9)]! }));
  assert.equal(c.verdict, 'PERIODIC_FLUSH', c.reason);
  assert.equal(c.steady, true);
});

test('resolveSteadyBySize: same bytes sooner with large events → SIZE_THRESHOLD; same interval → a timer', () => {
  const small = classifyArrivals(synth({ n: 200, prodMs: steady(10), release: (i, p) => p[Math.min(p.length - 1, Math.floor(i / 40) * 40 + 39)]! }));
  assert.equal(small.steady, true);
  // Large events (4 × the size): the same 4000-byte release every 10 events.
  const large = classifyArrivals(synth({ n: 200, prodMs: steady(10), size: () => 400, release: (i, p) => p[Math.min(p.length - 1, Math.floor(i / 10) * 10 + 9)]! }));
  const bySize = resolveSteadyBySize(small, large);
  assert.equal(bySize.classification.verdict, 'SIZE_THRESHOLD', bySize.note);
  assert.ok(Math.abs(bySize.classification.thresholdKiB! - 3.9) <= 0.2);
  // A timer: with large events the interval stays 400 ms.
  const largeTimer = classifyArrivals(synth({ n: 200, prodMs: steady(10), size: () => 400, release: (i, p) => p[Math.min(p.length - 1, Math.floor(i / 40) * 40 + 39)]! }));
  const byTime = resolveSteadyBySize(small, largeTimer);
  assert.equal(byTime.classification.verdict, 'PERIODIC_FLUSH');
  assert.equal(byTime.classification.steady, false);
  // Large events stream: keep the timer verdict, say that size matters too.
  const streaming = classifyArrivals(synth({ n: 200, prodMs: steady(10), size: () => 400, release: (i, p) => p[i]! }));
  const mixed = resolveSteadyBySize(small, streaming);
  assert.equal(mixed.classification.verdict, 'PERIODIC_FLUSH');
  assert.match(mixed.note, /STREAMING/);
});

test('INCONCLUSIVE: too few events says what would make it conclusive', () => {
  const c = classifyArrivals(synth({ n: MIN_EVENTS - 1, prodMs: steady(100), release: (i, p) => p[i]! }));
  assert.equal(c.verdict, 'INCONCLUSIVE');
  assert.match(c.needed ?? '', /at least 6 events/);
  assert.equal(classifyArrivals([]).verdict, 'INCONCLUSIVE');
});

test('INCONCLUSIVE: a burst (all produced within 200 ms) looks the same either way', () => {
  const c = classifyArrivals(synth({ n: 50, prodMs: (i) => 10 + i, release: (_i, p) => p.at(-1)! }));
  assert.equal(c.verdict, 'INCONCLUSIVE', c.reason);
  assert.match(c.needed ?? '', /200 ms/);
});

test('INCONCLUSIVE: no stamps and everything at once within 200 ms', () => {
  const entries = synth({ n: 50, prodMs: (i) => 10 + i, release: (_i, p) => p.at(-1)!, stamps: 'none' });
  const c = classifyArrivals(entries);
  assert.equal(c.verdict, 'INCONCLUSIVE', c.reason);
  // The advice names the option by its field, or as the caller names it (the CLI: its flag).
  assert.match(c.needed ?? '', /\(serverTime PATH\)/);
  assert.match(classifyArrivals(entries, (r) => `<${r.field}>`).needed ?? '', /\(<serverTime> PATH\)/);
});

test('INCONCLUSIVE: held, but in too few releases to tell size from time', () => {
  const c = classifyArrivals(synth({ n: 50, prodMs: steady(20), release: (i, p) => (i < 30 ? p[29]! : p.at(-1)!) }));
  assert.equal(c.verdict, 'INCONCLUSIVE', c.reason);
  assert.match(c.needed ?? '', /releases/);
});

test('without stamps: one event per read is STREAMING', () => {
  const c = classifyArrivals(synth({ n: 30, prodMs: steady(20), release: (i, p) => p[i]!, stamps: 'none' }));
  assert.equal(c.verdict, 'STREAMING', c.reason);
});

test('majorityVerdict: strict majority, plurality of conclusive verdicts, else INCONCLUSIVE', () => {
  assert.deepEqual(majorityVerdict(['FULLY_BUFFERED', 'FULLY_BUFFERED', 'STREAMING']), { verdict: 'FULLY_BUFFERED', agree: 2, of: 3 });
  assert.equal(majorityVerdict(['INCONCLUSIVE', 'INCONCLUSIVE', 'STREAMING', 'STREAMING', 'STREAMING']).verdict, 'STREAMING');
  assert.equal(majorityVerdict(['PERIODIC_FLUSH', 'INCONCLUSIVE']).verdict, 'PERIODIC_FLUSH');
  assert.equal(majorityVerdict(['PERIODIC_FLUSH', 'SIZE_THRESHOLD', 'STREAMING']).verdict, 'INCONCLUSIVE');
  assert.equal(majorityVerdict([]).verdict, 'INCONCLUSIVE');
});
