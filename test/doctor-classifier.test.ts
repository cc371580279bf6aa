import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addedOverPrevious,
  blameHop,
  classifyArrivals,
  HOP_ADDED_MIN_MS,
  majorityVerdict,
  resolveCoalescing,
  resolveSteadyBySize,
  ruleFromFasterSource,
  ruleFromLargeTokens,
  ruleFromSlowerSource,
  votingVerdicts,
  MIN_EVENTS,
  type ArrivalEntry,
} from '../src/probe/doctor-classifier.js';
import type { HopResult } from '../src/model/doctor-result.js';

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
  assert.match(classifyArrivals(entries, null, (r) => `<${r.field}>`).needed ?? '', /\(<serverTime> PATH\)/);
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

/**
 * Coalescing in the backend (issue 26): a source of tokens (`at` ms, `chars` characters, one word
 * each), a buffer that joins them into ONE event by a rule, released at once (each event alone in
 * its read). Entries carry the text's characters and words as doctor reads them.
 */
interface Tok {
  at: number;
  chars: number;
}

function coalesce(tokens: readonly Tok[], rule: { timerMs?: number; sizeChars?: number }, stamps: 't' | 'none' = 'none'): ArrivalEntry[] {
  const out: ArrivalEntry[] = [];
  let buf: Tok[] = [];
  let last = 0;
  const release = (at: number) => {
    if (buf.length === 0) return;
    const chars = buf.reduce((a, t) => a + t.chars, 0);
    out.push({ arrivalUs: Math.round((at + 0.4) * 1000), read: out.length, bytes: chars + 20, event: 'message', t: stamps === 't' ? at + 5000 : null, t_src: null, content: true, chars, units: buf.length });
    buf = [];
    last = at;
  };
  for (const tok of tokens) {
    buf.push(tok);
    const chars = buf.reduce((a, t) => a + t.chars, 0);
    if ((rule.sizeChars !== undefined && chars >= rule.sizeChars) || (rule.timerMs !== undefined && tok.at - last >= rule.timerMs)) release(tok.at);
  }
  release((tokens.at(-1)?.at ?? 0) + 1);
  const end = (tokens.at(-1)?.at ?? 0) + 2;
  out.push({ arrivalUs: Math.round(end * 1000), read: out.length, bytes: 20, event: 'done', t: stamps === 't' ? end + 5000 : null, t_src: null, content: false, chars: 0, units: 0 });
  return out;
}

/** n tokens, `gap(i)` ms apart, `chars(i)` characters. */
const source = (n: number, gap: (i: number) => number, chars: (i: number) => number = () => 4): Tok[] => {
  let at = 0;
  return Array.from({ length: n }, (_, i) => ({ at: (at += gap(i)), chars: chars(i) }));
};

test('coalescing: a 100 ms timer over an irregular source is PERIODIC_FLUSH, rule timer, N tokens per event, with or without t', () => {
  for (const stamps of ['none', 't'] as const) {
    // Bursty: 25 tokens 4 ms apart, 25 tokens 16 ms apart, …: the timer's events carry ~25 or ~6 tokens.
    const e = coalesce(source(300, (i) => (Math.floor(i / 25) % 2 === 0 ? 4 : 16), (i) => 2 + (i % 7)), { timerMs: 100 }, stamps);
    const c = classifyArrivals(e);
    assert.equal(c.verdict, 'PERIODIC_FLUSH', c.reason);
    assert.equal(c.rule, 'timer', c.reason);
    assert.ok(c.flushIntervalMs! >= 95 && c.flushIntervalMs! <= 115, `${c.flushIntervalMs}`);
    assert.ok(c.coalescing!.tokensPerEvent >= 6, c.reason);
    assert.match(c.reason, /the backend coalesces: [\d.]+ source tokens per event/);
  }
});

test('coalescing: a 40-character threshold over an irregular source is SIZE_THRESHOLD, rule size, ~40 characters', () => {
  // Bursty: the threshold's releases come every ~40 or ~160 ms, each ~40 characters.
  const e = coalesce(source(300, (i) => (Math.floor(i / 25) % 2 === 0 ? 4 : 16), (i) => 3 + (i % 3)), { sizeChars: 40 });
  const c = classifyArrivals(e);
  assert.equal(c.verdict, 'SIZE_THRESHOLD', c.reason);
  assert.equal(c.rule, 'size');
  assert.ok(c.thresholdChars! >= 40 && c.thresholdChars! <= 44, `${c.thresholdChars}`);
});

test('coalescing: a steady source makes a timer and a threshold alike: PERIODIC_FLUSH timer-or-size, needed names the experiment', () => {
  const c = classifyArrivals(coalesce(source(200, () => 10), { timerMs: 100, sizeChars: 40 }));
  assert.equal(c.verdict, 'PERIODIC_FLUSH');
  assert.equal(c.rule, 'timer-or-size');
  assert.equal(c.steady, true);
  assert.match(c.needed ?? '', /faster source/);
});

test('coalescing: tokens asked against events received (our ping): tokens per event from the asked token size', () => {
  const e = coalesce(source(200, () => 10), { timerMs: 100 });
  const c = classifyArrivals(e, { count: 200, intervalMs: 10, tokenChars: 4 });
  assert.equal(c.coalescing?.basis, 'asked');
  assert.equal(c.coalescing?.tokensAsked, 200);
  assert.equal(c.coalescing?.tokensPerEvent, 10);
  assert.equal(c.coalescing?.paceAskedMs, 10);
  assert.match(c.reason, /200 tokens asked, \d+ events received/);
});

test('no false alarm: one token per event at a steady 10 ms or 100 ms is STREAMING; at 100 ms the caveat names the experiment', () => {
  // A threshold of one character: every token its own event at once.
  const ten = classifyArrivals(coalesce(source(150, () => 10), { sizeChars: 1 }, 't'));
  assert.equal(ten.verdict, 'STREAMING', ten.reason);
  assert.equal(ten.caveat, null);
  const hundred = classifyArrivals(coalesce(source(20, () => 100), { sizeChars: 1 }));
  assert.equal(hundred.verdict, 'STREAMING', hundred.reason);
  assert.equal(hundred.coalescing?.tokensPerEvent, 1);
  assert.match(hundred.caveat ?? '', /look alike; a faster source would tell/);
});

test('source experiments: faster/slower/larger tell a timer, a size threshold and both apart', () => {
  const asked = { count: 200, intervalMs: 10, tokenChars: 4 };
  const run = (n: number, gap: number, chars: number, rule: { timerMs?: number; sizeChars?: number }) =>
    classifyArrivals(coalesce(source(n, () => gap, () => chars), rule), { ...asked, count: n, intervalMs: gap, tokenChars: chars });
  for (const [name, rule, expected] of [
    ['timer', { timerMs: 100 }, { verdict: 'PERIODIC_FLUSH', rule: 'timer' }],
    ['size', { sizeChars: 40 }, { verdict: 'SIZE_THRESHOLD', rule: 'size' }],
    ['both', { timerMs: 100, sizeChars: 40 }, { verdict: 'PERIODIC_FLUSH', rule: 'timer+size' }],
  ] as const) {
    const base = run(200, 10, 4, rule);
    assert.equal(base.rule, 'timer-or-size', name);
    const fast = run(500, 2, 4, rule);
    const findings = [ruleFromLargeTokens(run(60, 10, 1024, rule)), ruleFromFasterSource(base, fast)];
    if (!findings.some((f) => f.timer !== null)) findings.push(ruleFromSlowerSource(base, run(16, 45, 4, rule)));
    const r = resolveCoalescing(base, findings, fast).classification;
    assert.equal(r.verdict, expected.verdict, `${name}: ${r.reason}`);
    assert.equal(r.rule, expected.rule, `${name}: ${r.reason}`);
  }
});

test('a faster source exposes a timer behind one token per event at 100 ms', () => {
  const base = classifyArrivals(coalesce(source(20, () => 100), { timerMs: 100 }), { count: 20, intervalMs: 100, tokenChars: 4 });
  assert.equal(base.verdict, 'STREAMING');
  assert.notEqual(base.caveat, null);
  const fast = classifyArrivals(coalesce(source(60, () => 20), { timerMs: 100 }), { count: 60, intervalMs: 20, tokenChars: 4 });
  const f = ruleFromFasterSource(base, fast);
  assert.equal(f.timer, true);
  const r = resolveCoalescing(base, [f], fast).classification;
  assert.equal(r.verdict, 'PERIODIC_FLUSH', r.reason);
  assert.equal(r.rule, 'timer');
});

test('hops: added delay per round and its noise; blame the backend, the hop that turns STREAMING into held, or none', () => {
  const prev = [[10, 20, 30], [12, 22, 32], [9, 19, 29]];
  const cur = [[60, 70, 80], [70, 80, 90], [50, 60, 70]];
  const a = addedOverPrevious(prev, cur)!;
  assert.equal(a.addedMs, 50);
  // Rounds' medians 50, 58, 41: half their spread.
  assert.equal(a.noiseMs, 8.5);
  assert.equal(addedOverPrevious([[]], [[]]), null);
  assert.equal(addedOverPrevious([[10, 20]], [[60, 70]])!.noiseMs, null, 'one round: noise unknown');
  const hop = (name: string, verdict: HopResult['verdict'], addedMs: number | null, noise: number | null, tpe: number | null = null): HopResult => ({
    name, url: `http://${name}/`, httpVersion: '1.1', verdict, agree: 3, of: 3, reason: '', tokensPerEvent: tpe, rule: tpe === null ? null : 'timer',
    firstContentP50Ms: 1, firstContentP90Ms: 2, waitMs: null, waitKind: null, addedMs, addedNoiseMs: noise, rounds: 3, addedFirstContentMs: addedMs,
  });
  assert.equal(blameHop([hop('origin', 'PERIODIC_FLUSH', null, null, 10), hop('nginx', 'PERIODIC_FLUSH', 3, 5)])?.kind, 'backend');
  const turned = blameHop([hop('origin', 'STREAMING', null, null), hop('nginx', 'STREAMING', 1, 2), hop('public', 'SIZE_THRESHOLD', 30, 100)]);
  assert.deepEqual([turned?.kind, turned?.hop], ['adds', 'public']);
  const slow = blameHop([hop('origin', 'STREAMING', null, null), hop('cdn', 'STREAMING', HOP_ADDED_MIN_MS + 30, 5)]);
  assert.deepEqual([slow?.kind, slow?.hop], ['adds', 'cdn']);
  const noisy = blameHop([hop('origin', 'STREAMING', null, null), hop('cdn', 'STREAMING', HOP_ADDED_MIN_MS + 30, 40)]);
  assert.equal(noisy?.kind, 'none');
  assert.match(noisy!.sentence, /largest: cdn/);
  const oneRound = blameHop([hop('origin', 'STREAMING', null, null), { ...hop('cdn', 'STREAMING', 55, null), rounds: 1 }]);
  assert.equal(oneRound?.kind, 'none', 'one round cannot tell a slow hop from a slow round');
});

test('votingVerdicts: a steady run (timer-or-size) sides with the runs that decided the rule', () => {
  const steadyRun = classifyArrivals(coalesce(source(200, () => 10), { sizeChars: 40 }));
  const bursty = classifyArrivals(coalesce(source(300, (i) => (Math.floor(i / 25) % 2 === 0 ? 4 : 16), (i) => 3 + (i % 3)), { sizeChars: 40 }));
  assert.equal(steadyRun.rule, 'timer-or-size');
  assert.equal(bursty.rule, 'size');
  assert.deepEqual(votingVerdicts([steadyRun, bursty]), ['SIZE_THRESHOLD', 'SIZE_THRESHOLD']);
  assert.deepEqual(votingVerdicts([steadyRun, steadyRun]), ['PERIODIC_FLUSH', 'PERIODIC_FLUSH']);
});

test('no stamps, one token an event: the asked schedule stands in for t (a loaded client reading two at once stays STREAMING; a 4 KiB buffer does not)', () => {
  // Token i produced at 10·i ms; the client reads events in pairs, the second one on time.
  const pairs: ArrivalEntry[] = Array.from({ length: 150 }, (_, i) => {
    const at = (i % 2 === 0 ? i + 1 : i) * 10 + 0.4 + (i % 7 === 0 ? 6 : 0);
    return { arrivalUs: Math.round(at * 1000), read: Math.floor(i / 2), bytes: 24, event: 'message', t: null, t_src: null, content: true, chars: 4, units: 1 };
  });
  const asked = { count: 150, intervalMs: 10, tokenChars: 4 };
  const c = classifyArrivals(pairs, asked);
  assert.equal(c.verdict, 'STREAMING', c.reason);
  assert.match(c.reason, /the asked schedule stands in/);
  // The same tokens released 40 at a time (a byte buffer): the schedule shows the wait.
  const held: ArrivalEntry[] = pairs.map((e, i) => ({ ...e, arrivalUs: (Math.floor(i / 40) * 40 + 39) * 10_000, read: Math.floor(i / 40) }));
  assert.notEqual(classifyArrivals(held, asked).verdict, 'STREAMING');
});
