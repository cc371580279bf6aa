import { byFieldName, field, type FieldNamer } from '../model/field-text.js';
import type { Classification, Verdict, VerdictEvidence } from '../model/doctor-result.js';
/**
 * doctor's verdict: a pure function of one stream's recorded arrivals (docs/troubleshooting.md, "doctor
 * verdicts"). No I/O, no clock: the thresholds below are the whole rule, and docs/troubleshooting.md
 * documents each of them.
 *
 * What it looks at, per event: when it arrived (`arrivalUs`, the read that completed it) and, when
 * the server stamps its events, when it was released (`t`) and when its oldest payload was produced
 * (`t_src`). An event's *wait* is what the path and the server's buffers added to it:
 *   wait = lag + hold,  lag = (arrival − t) − min over the stream of (arrival − t)   (no clock sync)
 *                       hold = t − t_src                                              (one clock)
 * Without stamps the classifier only sees how arrivals group into *releases* (events that arrive
 * within RELEASE_GAP_MS of each other).
 */

/** One timeline entry (docs/metrics.md); `content` is optional here. */
export interface ArrivalEntry {
  arrivalUs: number;
  read: number;
  bytes: number;
  event: string;
  t: number | null;
  t_src: number | null;
  content?: boolean;
}

/** Fewer events than this: INCONCLUSIVE. */
export const MIN_EVENTS = 6;
/** The server must produce its events over at least this long (stamps), or the last one must arrive this late (no stamps). */
export const MIN_SPAN_MS = 200;
/** FULLY_BUFFERED: this share of the bytes (or more) arrives in the final release. */
export const FULL_BUFFER_SHARE = 0.9;
/** Events arriving within this of the previous one belong to the same release (one buffer flush split over several reads). */
export const RELEASE_GAP_MS = 3;
/** STREAMING with stamps: the median wait is at most this … */
export const STREAMING_MEDIAN_WAIT_MS = 10;
/** … and the 90th percentile wait at most this (room for a scheduler hiccup on a busy machine). */
export const STREAMING_P90_WAIT_MS = 40;
/** STREAMING without stamps: at least this share of the releases carries a single event. */
export const STREAMING_SINGLE_SHARE = 0.8;
/** SIZE_THRESHOLD / PERIODIC_FLUSH need at least this many releases before the final one. */
export const MIN_RELEASES = 3;
/** Releases whose sizes and intervals both vary more than this (coefficient of variation) follow no rule. */
export const IRREGULAR_CV = 0.5;
/**
 * Sizes and intervals both steadier than this: a steady source (same size, same pace) makes a size
 * threshold and a timer look alike; the verdict is then PERIODIC_FLUSH (the guide's buffers are
 * timers), marked `steady`, and doctor's small-vs-large-events step tells them apart.
 */
export const STEADY_CV = 0.35;

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function median(xs: readonly number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

function cv(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (mean === 0) return 0;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return Math.sqrt(variance) / mean;
}

interface Release {
  firstUs: number;
  lastUs: number;
  bytes: number;
  events: number;
}

/** Groups events (in arrival order) into releases: same read, or within RELEASE_GAP_MS of the previous event. */
export function groupReleases(entries: readonly ArrivalEntry[]): Release[] {
  const out: Release[] = [];
  let prevRead = -1;
  for (const e of entries) {
    const cur = out.at(-1);
    if (cur !== undefined && (e.read === prevRead || e.arrivalUs - cur.lastUs <= RELEASE_GAP_MS * 1000)) {
      cur.lastUs = e.arrivalUs;
      cur.bytes += e.bytes;
      cur.events++;
    } else {
      out.push({ firstUs: e.arrivalUs, lastUs: e.arrivalUs, bytes: e.bytes, events: 1 });
    }
    prevRead = e.read;
  }
  return out;
}

/** Waits (ms) per event, or null when the events carry no stamps. */
function waits(entries: readonly ArrivalEntry[]): { stamps: VerdictEvidence['stamps']; waits: number[] | null; spanMs: number } {
  const stamped = entries.filter((e) => e.t !== null);
  if (stamped.length < entries.length || stamped.length === 0) {
    const first = entries[0]?.arrivalUs ?? 0;
    const last = entries.at(-1)?.arrivalUs ?? 0;
    return { stamps: 'none', waits: null, spanMs: (last - first) / 1000 };
  }
  const haveSrc = entries.every((e) => e.t_src !== null);
  const offsets = entries.map((e) => e.arrivalUs / 1000 - e.t!);
  const minOffset = Math.min(...offsets);
  const out = entries.map((e, i) => offsets[i]! - minOffset + (haveSrc ? Math.max(0, e.t! - e.t_src!) : 0));
  const src = entries.map((e) => (haveSrc ? e.t_src! : e.t!));
  return { stamps: haveSrc ? 't_src' : 't', waits: out, spanMs: Math.max(...src) - Math.min(...src) };
}

/**
 * Classifies one stream. Order of the rules:
 * 1. fewer than MIN_EVENTS events, or produced within MIN_SPAN_MS → INCONCLUSIVE;
 * 2. ≥ FULL_BUFFER_SHARE of the bytes in the final release → FULLY_BUFFERED;
 * 3. waits small (stamps) or one event per release (no stamps) → STREAMING;
 * 4. fewer than MIN_RELEASES releases before the final one → INCONCLUSIVE;
 * 5. releases steadier in size than in time → SIZE_THRESHOLD, else PERIODIC_FLUSH; both
 *    varying more than IRREGULAR_CV → INCONCLUSIVE.
 */
export function classifyArrivals(input: readonly ArrivalEntry[], names: FieldNamer = byFieldName): Classification {
  const entries = [...input].sort((a, b) => a.arrivalUs - b.arrivalUs);
  const bytes = entries.reduce((a, e) => a + e.bytes, 0);
  const releases = groupReleases(entries);
  const w = waits(entries);
  const sortedWaits = w.waits === null ? null : [...w.waits].sort((a, b) => a - b);
  const final = releases.at(-1);
  const finalShare = final === undefined || bytes === 0 ? 0 : final.bytes / bytes;
  const firstContent = entries.findIndex((e) => e.content !== false && e.event !== 'done' && e.event !== 'error');
  const firstContentWait = w.waits !== null && firstContent >= 0 ? w.waits[firstContent]! : null;
  const body = releases.slice(0, -1);
  const intervals = body.slice(1).map((r, i) => (r.firstUs - body[i]!.firstUs) / 1000);
  const sizes = body.map((r) => r.bytes);
  const evidence: VerdictEvidence = {
    events: entries.length,
    bytes,
    reads: new Set(entries.map((e) => e.read)).size,
    releases: releases.length,
    stamps: w.stamps,
    spanMs: round1(w.spanMs),
    finalShare: Math.round(finalShare * 1000) / 1000,
    finalArrivalMs: final === undefined ? 0 : round1(final.firstUs / 1000),
    medianWaitMs: sortedWaits === null ? null : round1(quantile(sortedWaits, 0.5)),
    p90WaitMs: sortedWaits === null ? null : round1(quantile(sortedWaits, 0.9)),
    maxWaitMs: sortedWaits === null ? null : round1(sortedWaits.at(-1) ?? 0),
    firstContentWaitMs: firstContentWait === null ? null : round1(firstContentWait),
    intervalMs: intervals.length > 0 ? round1(median(intervals)) : null,
    intervalCv: intervals.length > 1 ? Math.round(cv(intervals) * 100) / 100 : null,
    releaseBytes: sizes.length > 0 ? Math.round(median(sizes)) : null,
    bytesCv: sizes.length > 1 ? Math.round(cv(sizes) * 100) / 100 : null,
  };
  const base = { needed: null, steady: false, flushIntervalMs: null, thresholdBytes: null, thresholdKiB: null, addedFirstContentMs: null, evidence };
  const inconclusive = (reason: string, needed: string): Classification => ({ ...base, verdict: 'INCONCLUSIVE', reason, needed });

  if (entries.length < MIN_EVENTS) {
    return inconclusive(
      `only ${entries.length} event${entries.length === 1 ? '' : 's'} arrived`,
      `a stream of at least ${MIN_EVENTS} events spread over at least ${MIN_SPAN_MS} ms (e.g. the ping operation: 50 tokens 20 ms apart)`,
    );
  }
  if (w.stamps !== 'none' && w.spanMs < MIN_SPAN_MS) {
    return inconclusive(
      `the server produced all ${entries.length} events within ${round1(w.spanMs)} ms: a burst looks the same streamed or buffered`,
      `a stream whose events the server produces over at least ${MIN_SPAN_MS} ms`,
    );
  }
  if (finalShare >= FULL_BUFFER_SHARE) {
    const arrivedMs = final!.firstUs / 1000;
    if (w.stamps === 'none' && arrivedMs < MIN_SPAN_MS) {
      return inconclusive(
        `everything arrived at once after ${round1(arrivedMs)} ms and the events carry no server time stamps`,
        `a stream lasting at least ${MIN_SPAN_MS} ms, or stamps in the events (${names(field('serverTime'))} PATH)`,
      );
    }
    return {
      ...base,
      verdict: 'FULLY_BUFFERED',
      reason:
        `${Math.round(finalShare * 100)} % of the bytes arrived in the final release at ${round1(arrivedMs)} ms` +
        (w.stamps === 'none' ? '' : `, though the server produced them over ${round1(w.spanMs)} ms`),
      addedFirstContentMs: firstContentWait === null ? null : round1(firstContentWait),
    };
  }
  if (sortedWaits !== null) {
    const med = quantile(sortedWaits, 0.5);
    const p90 = quantile(sortedWaits, 0.9);
    if (med <= STREAMING_MEDIAN_WAIT_MS && p90 <= STREAMING_P90_WAIT_MS) {
      return {
        ...base,
        verdict: 'STREAMING',
        reason: `events arrived about when they were produced: median wait ${round1(med)} ms, p90 ${round1(p90)} ms`,
      };
    }
  } else {
    const single = releases.filter((r) => r.events === 1).length / releases.length;
    if (single >= STREAMING_SINGLE_SHARE) {
      return {
        ...base,
        verdict: 'STREAMING',
        reason: `${Math.round(single * 100)} % of ${releases.length} releases carried a single event (no server stamps: arrival grouping only)`,
      };
    }
  }
  if (body.length < MIN_RELEASES) {
    return inconclusive(
      `events were held (median wait ${evidence.medianWaitMs ?? '?'} ms) but arrived in only ${releases.length} releases`,
      `a longer stream: at least ${MIN_RELEASES + 1} releases are needed to tell a size threshold from a timer`,
    );
  }
  const cvI = cv(intervals);
  const cvB = cv(sizes);
  if (cvI > IRREGULAR_CV && cvB > IRREGULAR_CV) {
    return inconclusive(
      `events were held but released irregularly (interval CV ${round2(cvI)}, size CV ${round2(cvB)})`,
      'repeat with a steady source (e.g. the ping operation); the stall may come from the backend itself',
    );
  }
  const added = firstContentWait === null ? null : round1(firstContentWait);
  const steady = cvI <= STEADY_CV && cvB <= STEADY_CV;
  if (!steady && cvB < cvI) {
    const b = median(sizes);
    return {
      ...base,
      verdict: 'SIZE_THRESHOLD',
      reason: `releases of ~${round1(b / 1024)} KiB (size CV ${round2(cvB)}) at irregular times (interval CV ${round2(cvI)})`,
      thresholdBytes: Math.round(b),
      thresholdKiB: round1(b / 1024),
      addedFirstContentMs: added,
    };
  }
  const T = median(intervals);
  return {
    ...base,
    verdict: 'PERIODIC_FLUSH',
    reason: steady
      ? `releases every ~${round1(T)} ms of ~${Math.round(median(sizes))} bytes, both steady (CV ${round2(cvI)} and ${round2(cvB)}): ` +
        'a timer, or a size threshold fed by a steady source'
      : `releases every ~${round1(T)} ms (interval CV ${round2(cvI)}) of varying size (size CV ${round2(cvB)})`,
    steady,
    flushIntervalMs: round1(T),
    addedFirstContentMs: added,
  };
}

/** The verdict of several runs: a strict majority, else the most common conclusive verdict, else INCONCLUSIVE. */
export function majorityVerdict(verdicts: readonly Verdict[]): { verdict: Verdict; agree: number; of: number } {
  const counts = new Map<Verdict, number>();
  for (const v of verdicts) counts.set(v, (counts.get(v) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const top = ranked[0];
  if (top === undefined) return { verdict: 'INCONCLUSIVE', agree: 0, of: 0 };
  if (top[1] * 2 > verdicts.length) return { verdict: top[0], agree: top[1], of: verdicts.length };
  const conclusive = ranked.filter(([v]) => v !== 'INCONCLUSIVE');
  if (conclusive.length > 0 && (conclusive.length === 1 || conclusive[0]![1] > conclusive[1]![1])) {
    return { verdict: conclusive[0]![0], agree: conclusive[0]![1], of: verdicts.length };
  }
  return { verdict: 'INCONCLUSIVE', agree: 0, of: verdicts.length };
}

/**
 * A steady PERIODIC_FLUSH is resolved by a run with larger events when the interval moves with the size.
 * Releases within this factor of the same size count as "the same": a byte buffer fed larger events
 * may release one event more or less (seen: nginx's 4 KiB buffer under load), while a timer never
 * shortens its interval, so the interval rule below does the real telling apart.
 */
export const SIZE_STEP_SAME_BYTES = 3;
/** … the interval shrank below this share: releases follow bytes, a size threshold. */
export const SIZE_STEP_SHRINK = 0.6;
/** … the interval stayed within this share: a timer. */
export const SIZE_STEP_SAME_INTERVAL = 0.35;

/**
 * Tells a timer from a size threshold when one steady source made them look alike: the same
 * stream with larger events. A byte buffer releases the same bytes sooner; a timer keeps its
 * interval. Pure; returns the baseline unchanged (with a note) when the large run cannot tell.
 */
export function resolveSteadyBySize(small: Classification, large: Classification): { classification: Classification; note: string } {
  if (small.verdict !== 'PERIODIC_FLUSH' || !small.steady) return { classification: small, note: '' };
  const sI = small.evidence.intervalMs;
  const sB = small.evidence.releaseBytes;
  const lI = large.evidence.intervalMs;
  const lB = large.evidence.releaseBytes;
  if (large.verdict === 'STREAMING') {
    return {
      classification: small,
      note: 'with large events the stream is STREAMING: the buffer also lets a large event through at once (a character or size minimum beside the timer)',
    };
  }
  if ((large.verdict === 'SIZE_THRESHOLD' || large.verdict === 'PERIODIC_FLUSH') && sI !== null && sB !== null && lI !== null && lB !== null && sB > 0) {
    const ratio = lB / sB;
    if (ratio < SIZE_STEP_SAME_BYTES && ratio > 1 / SIZE_STEP_SAME_BYTES && lI < sI * SIZE_STEP_SHRINK) {
      return {
        classification: {
          ...small,
          verdict: 'SIZE_THRESHOLD',
          steady: false,
          flushIntervalMs: null,
          thresholdBytes: sB,
          thresholdKiB: round1(sB / 1024),
          reason: `releases of ~${round1(sB / 1024)} KiB: with larger events the same ~${round1(lB / 1024)} KiB came every ${lI} ms instead of ${sI} ms`,
        },
        note: `larger events: releases of the same size came sooner (${lI} ms instead of ${sI} ms): a size threshold`,
      };
    }
    if (Math.abs(lI - sI) <= sI * SIZE_STEP_SAME_INTERVAL) {
      return {
        classification: { ...small, steady: false, reason: `${small.reason}; with larger events the interval stayed ~${lI} ms: a timer` },
        note: `larger events: the interval stayed ~${lI} ms while releases grew to ~${round1(lB / 1024)} KiB: a timer`,
      };
    }
  }
  return { classification: small, note: `larger events gave ${large.verdict}: no clear size or time rule` };
}
