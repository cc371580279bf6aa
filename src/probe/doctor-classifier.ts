import type { TimelineEntry } from '../model/timeline.js';
import { byFieldName, field, type FieldNamer } from '../model/field-text.js';
import { isHeld, type Classification, type CoalescingEvidence, type HopBlame, type HopResult, type SourceAsked, type Verdict, type VerdictEvidence } from '../model/doctor-result.js';
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
export interface ArrivalEntry extends Omit<TimelineEntry, 'content'> {
  content?: boolean;
  /** Characters and estimated tokens of the event's text (event-text.ts), when doctor read it. */
  chars?: number;
  units?: number;
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

/** The q-quantile of an ascending list, interpolated between ranks (NaN when empty). */
export function quantile(sorted: readonly number[], q: number): number {
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
function classifyReleases(input: readonly ArrivalEntry[], names: FieldNamer): Classification {
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
  const base = {
    needed: null,
    steady: false,
    flushIntervalMs: null,
    thresholdBytes: null,
    thresholdKiB: null,
    addedFirstContentMs: null,
    evidence,
    coalescing: null,
    rule: null,
    thresholdChars: null,
    caveat: null,
  };
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


/**
 * Coalescing in the backend (issue 26; docs/troubleshooting.md, "Coalescing in the backend"). A
 * backend like the field guide's collects source tokens until 40 characters or 100 ms and sends
 * them as ONE event: every event then arrives at once, alone, and a `t` stamp (release time) covers
 * only the path after the buffer, so the arrival rules above call it STREAMING. The evidence is the
 * events' content: tokens per event (against tokens asked, where doctor knows what it asked), their
 * sizes and the intervals between them.
 */

/** Median source tokens per event (final event excluded) at or above this: the backend coalesces. */
export const COALESCED_TOKENS = 1.8;
/** … at or below this: one token per event. */
export const SINGLE_TOKEN_MAX = 1.2;
/** Fewer text events than this: the content cannot show a rule. */
export const MIN_TEXT_EVENTS = MIN_RELEASES + 1;
/**
 * One token per event at a steady interval of at least this (CV ≤ STEADY_CV), without `t_src`: a
 * timer no longer than the interval would look the same; STREAMING then carries a caveat naming
 * the experiment. Below it a timer adds less than STREAMING_P90_WAIT_MS / 2 and does not matter.
 */
export const CAVEAT_MIN_INTERVAL_MS = 20;
/**
 * One run's rule: intervals varying at least RULE_MIN_CV (above a loaded machine's timer jitter,
 * as STEADY_CV) and RULE_CV_RATIO times more than the
 * characters per event → a size threshold; tokens per event varying that much more than the
 * intervals → a timer; neither (a steady source) → `timer-or-size`, for the source steps to tell.
 */
export const RULE_MIN_CV = STEADY_CV;
export const RULE_CV_RATIO = 2;
/** Faster/slower-source steps: sizes within this factor count as "the same size". */
export const SAME_SIZE_FACTOR = 1.5;
/** … a slower source whose events fell below this share of the baseline's characters: a timer released them. */
export const SLOWER_SMALLER_SHARE = 0.7;

/** The events' text, or null when doctor read none (no `chars` on the entries, or no text at all). */
export function coalescingEvidence(entries: readonly ArrivalEntry[], asked: SourceAsked | null): CoalescingEvidence | null {
  const text = entries.filter((e) => e.chars !== undefined && e.chars > 0 && e.content !== false && e.event !== 'done' && e.event !== 'error');
  if (text.length === 0) return null;
  const tokensOf = (e: ArrivalEntry) => (asked !== null && asked.tokenChars > 0 ? e.chars! / asked.tokenChars : (e.units ?? 1));
  // The last text event is often the end-of-stream flush of what was left: not a release by the rule.
  const body = text.length >= 3 ? text.slice(0, -1) : text;
  const tokens = body.map(tokensOf);
  const chars = body.map((e) => e.chars!);
  const clock = text.every((e) => e.t !== null) ? 't' : 'arrival';
  const times = body.map((e) => (clock === 't' ? e.t! : e.arrivalUs / 1000));
  const intervals = times.slice(1).map((x, i) => x - times[i]!);
  const tpe = median(tokens);
  const interval = intervals.length > 0 ? median(intervals) : null;
  const sortedChars = [...chars].sort((a, b) => a - b);
  return {
    basis: asked !== null ? 'asked' : 'text',
    contentEvents: text.length,
    tokensAsked: asked?.count ?? null,
    tokensSeen: Math.round(text.reduce((a, e) => a + tokensOf(e), 0) * 10) / 10,
    tokensPerEvent: round1(tpe),
    tokensCv: tokens.length > 1 ? round2(cv(tokens)) : null,
    singleTokenShare: round2(tokens.filter((x) => x <= SINGLE_TOKEN_MAX).length / tokens.length),
    charsPerEvent: round1(median(chars)),
    charsCv: chars.length > 1 ? round2(cv(chars)) : null,
    charsP10: round1(quantile(sortedChars, 0.1)),
    intervalMs: interval === null ? null : round1(interval),
    intervalCv: intervals.length > 1 ? round2(cv(intervals)) : null,
    clock,
    paceAskedMs: asked?.intervalMs ?? null,
    paceSeenMs: interval === null || tpe === 0 ? null : round1(interval / tpe),
  };
}

/** Whether the events carry several source tokens each, over enough events to judge. */
export function isCoalesced(co: CoalescingEvidence | null): co is CoalescingEvidence {
  return co !== null && co.contentEvents >= MIN_TEXT_EVENTS && co.tokensPerEvent >= COALESCED_TOKENS;
}

const tokensPhrase = (co: CoalescingEvidence) =>
  co.tokensAsked !== null
    ? `${co.tokensAsked} tokens asked, ${co.contentEvents} events received`
    : `${co.contentEvents} events carrying ${co.tokensSeen} tokens (words) of text`;

const pacePhrase = (co: CoalescingEvidence) =>
  co.paceAskedMs !== null ? `; pace asked ${co.paceAskedMs} ms a token, seen ${co.intervalMs ?? '?'} ms an event (${co.paceSeenMs ?? '?'} ms a token)` : '';

/** The first half of every coalescing reason: what the content shows. */
const coalescedHead = (co: CoalescingEvidence) =>
  `the backend coalesces: ${co.tokensPerEvent} source tokens per event (${tokensPhrase(co)}), one every ~${co.intervalMs ?? '?'} ms${pacePhrase(co)}`;

export const STEADY_RULE_NEEDED =
  'the same stream from a faster source (a timer keeps its interval, a size threshold its size) or with larger tokens ' +
  '(a size threshold lets them through at once); on the guide\'s API: operation.interval_ms and operation.token — doctor runs both on a ping';

/** The verdict for a backend that coalesces, from one run's content: its rule by which of size and interval is steadier. */
function coalescedClassification(c: Classification, co: CoalescingEvidence): Classification {
  const cvI = co.intervalCv ?? 0;
  const cvC = co.charsCv ?? 0;
  const cvT = co.tokensCv ?? 0;
  const size = cvI >= RULE_MIN_CV && cvI >= RULE_CV_RATIO * cvC;
  const timer = !size && cvT >= RULE_MIN_CV && cvT >= RULE_CV_RATIO * cvI;
  const steady = !size && !timer;
  const head = coalescedHead(co);
  // With t_src the hold is measured; else the first token waited about one interval less one token.
  const added =
    c.evidence.stamps === 't_src' && c.evidence.firstContentWaitMs !== null
      ? c.evidence.firstContentWaitMs
      : co.intervalMs === null
        ? null
        : round1((co.intervalMs * (co.tokensPerEvent - 1)) / co.tokensPerEvent);
  const common = { ...c, coalescing: co, caveat: null, needed: null, addedFirstContentMs: added, thresholdBytes: null, thresholdKiB: null };
  if (size) {
    return {
      ...common,
      verdict: 'SIZE_THRESHOLD',
      rule: 'size',
      steady: false,
      flushIntervalMs: null,
      thresholdChars: Math.round(co.charsP10),
      reason: `${head}; ~${Math.round(co.charsP10)}+ characters an event (size CV ${cvC}) at varying intervals (CV ${cvI}): a size threshold`,
    };
  }
  return {
    ...common,
    verdict: 'PERIODIC_FLUSH',
    rule: steady ? 'timer-or-size' : 'timer',
    steady,
    flushIntervalMs: co.intervalMs,
    thresholdChars: null,
    reason: steady
      ? `${head}; sizes, token counts and intervals all steady (CV ${cvC}, ${cvT}, ${cvI}): a timer, or a size threshold fed by a steady source`
      : `${head}; a steady interval (CV ${cvI}) with varying token counts (CV ${cvT}): a timer`,
    needed: steady ? STEADY_RULE_NEEDED : null,
  };
}

/**
 * Classifies one stream: the arrival rules (classifyReleases), then the content of the events when
 * doctor read it. Coalesced events override a STREAMING verdict, and a held verdict whose releases
 * carry one event each (the hold is the backend's own buffer, seen through `t_src`); a proxy's
 * releases of several events keep their verdict (the hop table shows the backend's).
 */
export function classifyArrivals(input: readonly ArrivalEntry[], asked: SourceAsked | null = null, names: FieldNamer = byFieldName): Classification {
  const entries = [...input].sort((a, b) => a.arrivalUs - b.arrivalUs);
  const c = classifyReleases(entries, names);
  const co = coalescingEvidence(entries, asked);
  if (co === null) return c;
  const withText: Classification = { ...c, coalescing: co };
  if (c.verdict === 'FULLY_BUFFERED' || entries.length < MIN_EVENTS) return withText;
  const releases = groupReleases(entries);
  const single = releases.filter((r) => r.events === 1).length / releases.length;
  const onSchedule = scheduleWaits(entries, asked, co);
  if (onSchedule !== null && c.verdict !== 'STREAMING' && c.evidence.stamps === 'none') {
    const { med, p90 } = onSchedule;
    if (med <= STREAMING_MEDIAN_WAIT_MS && p90 <= STREAMING_P90_WAIT_MS) {
      return {
        ...withText,
        verdict: 'STREAMING',
        needed: null,
        reason:
          `one token an event, on the schedule asked (${asked!.intervalMs} ms apart): median wait ${round1(med)} ms, p90 ${round1(p90)} ms ` +
          `(no server stamps: the asked schedule stands in; the arrival grouping said ${c.verdict})`,
      };
    }
  }
  if (isCoalesced(co) && (c.verdict === 'STREAMING' || single >= STREAMING_SINGLE_SHARE)) {
    if (c.verdict === 'INCONCLUSIVE' && c.evidence.stamps !== 'none' && c.evidence.spanMs < MIN_SPAN_MS) return withText;
    return coalescedClassification(c, co);
  }
  if (
    c.verdict === 'STREAMING' &&
    c.evidence.stamps !== 't_src' &&
    co.contentEvents >= MIN_TEXT_EVENTS &&
    co.tokensPerEvent <= SINGLE_TOKEN_MAX &&
    co.intervalMs !== null &&
    co.intervalMs >= CAVEAT_MIN_INTERVAL_MS &&
    (co.intervalCv ?? 1) <= STEADY_CV
  ) {
    return {
      ...withText,
      caveat:
        `one token per event at a steady ~${co.intervalMs} ms: a source at that pace and a timer of up to ${co.intervalMs} ms in the backend look alike; ` +
        'a faster source would tell (a timer then carries several tokens per event; on the guide\'s API: a smaller operation.interval_ms)',
    };
  }
  return withText;
}

/**
 * The verdicts to vote on: runs that found the backend coalescing with a steady source
 * (`timer-or-size`) agree with any run that decided the rule, when those all decided the same
 * (under load one run's jitter may decide what a steadier run cannot).
 */
export function votingVerdicts(cs: readonly Classification[]): Verdict[] {
  const decided = cs.filter((c) => c.rule === 'size' || c.rule === 'timer');
  const verdicts = new Set(decided.map((c) => c.verdict));
  const only = verdicts.size === 1 ? decided[0]!.verdict : null;
  return cs.map((c) => (c.rule === 'timer-or-size' && only !== null ? only : c.verdict));
}

/**
 * Whether two runs show the same hold: the same verdict, or both a backend that coalesces (one
 * run's jitter may name its rule differently; the buffer is the same). The compression and Accept
 * steps compare with this, so jitter is not taken for a cause.
 */
export function sameHold(a: Classification, b: Classification): boolean {
  return a.verdict === b.verdict || (a.rule !== null && b.rule !== null);
}

/**
 * Without stamps, where doctor asked the schedule (the guide's ping: token i at i × interval_ms) and
 * each event carries one token, the schedule stands in for `t`: event k, after n tokens, was
 * produced at n × interval, so its wait is (arrival − n × interval) − the stream's minimum of that.
 * A loaded client that reads two events at once stays STREAMING; a proxy's buffer does not. null
 * when it does not apply.
 */
function scheduleWaits(entries: readonly ArrivalEntry[], asked: SourceAsked | null, co: CoalescingEvidence | null): { med: number; p90: number } | null {
  if (asked === null || co === null || co.tokensPerEvent > SINGLE_TOKEN_MAX || co.contentEvents < MIN_EVENTS || asked.tokenChars <= 0) return null;
  const offsets: number[] = [];
  let tokens = 0;
  for (const e of entries) {
    if (e.chars === undefined || e.chars <= 0 || e.content === false) continue;
    offsets.push(e.arrivalUs / 1000 - tokens * asked.intervalMs);
    tokens += e.chars / asked.tokenChars;
  }
  const min = Math.min(...offsets);
  const sorted = offsets.map((o) => o - min).sort((a, b) => a - b);
  return { med: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
}

/** What one source experiment says about the rule: true/false/null (cannot tell) for each. */
export interface RuleFinding {
  size: boolean | null;
  timer: boolean | null;
  note: string;
}

const enoughText = (co: CoalescingEvidence | null): co is CoalescingEvidence => co !== null && co.contentEvents >= MIN_TEXT_EVENTS;

/** Larger tokens: a size threshold lets each through at once; a timer still groups them. */
export function ruleFromLargeTokens(large: Classification): RuleFinding {
  const lc = large.coalescing;
  if (!enoughText(lc)) return { size: null, timer: null, note: `larger tokens: ${large.verdict}, too few text events to tell` };
  if (lc.tokensPerEvent <= SINGLE_TOKEN_MAX) {
    return { size: true, timer: null, note: `larger tokens passed one per event: a size threshold lets a large token through at once` };
  }
  return {
    size: false,
    timer: null,
    note: `larger tokens were coalesced too (${lc.tokensPerEvent} per event, every ~${lc.intervalMs} ms): no size threshold below ~${Math.round(lc.charsPerEvent)} characters`,
  };
}

/** A faster source: a timer keeps its interval and carries more tokens; a size threshold keeps its size and releases sooner. */
export function ruleFromFasterSource(base: Classification, fast: Classification): RuleFinding {
  const b = base.coalescing;
  const f = fast.coalescing;
  if (!enoughText(f) || f.intervalMs === null) return { size: null, timer: null, note: `a faster source: ${fast.verdict}, too few text events to tell` };
  if (!isCoalesced(b) || b.intervalMs === null) {
    return f.tokensPerEvent >= COALESCED_TOKENS
      ? { size: null, timer: true, note: `a faster source came ${f.tokensPerEvent} tokens per event every ~${f.intervalMs} ms: a timer in the backend` }
      : { size: null, timer: false, note: `a faster source still came one token per event (every ~${f.intervalMs} ms): no timer` };
  }
  const sizeRatio = f.charsPerEvent / b.charsPerEvent;
  const sameSize = sizeRatio <= SAME_SIZE_FACTOR && sizeRatio >= 1 / SAME_SIZE_FACTOR;
  if (sameSize && f.intervalMs < b.intervalMs * SIZE_STEP_SHRINK) {
    return {
      size: true,
      timer: null,
      note: `a faster source: events of the same ~${Math.round(f.charsPerEvent)} characters came every ~${f.intervalMs} ms instead of ~${b.intervalMs} ms: a size threshold`,
    };
  }
  if (Math.abs(f.intervalMs - b.intervalMs) <= b.intervalMs * SIZE_STEP_SAME_INTERVAL && f.tokensPerEvent >= b.tokensPerEvent * SAME_SIZE_FACTOR) {
    return {
      size: null,
      timer: true,
      note: `a faster source: the interval stayed ~${f.intervalMs} ms while events grew to ${f.tokensPerEvent} tokens: a timer`,
    };
  }
  return { size: null, timer: null, note: `a faster source: ${f.tokensPerEvent} tokens per event every ~${f.intervalMs} ms: no clear rule` };
}

/** A slower source: a timer releases before the size is reached (smaller events, same cadence); a size threshold still waits for its size. */
export function ruleFromSlowerSource(base: Classification, slow: Classification): RuleFinding {
  const b = base.coalescing;
  const s = slow.coalescing;
  if (!isCoalesced(b) || b.intervalMs === null || s === null || s.contentEvents < 2) {
    return { size: null, timer: null, note: `a slower source: ${slow.verdict}, too few text events to tell` };
  }
  if (s.charsPerEvent < b.charsPerEvent * SLOWER_SMALLER_SHARE && s.intervalMs !== null && s.contentEvents >= MIN_TEXT_EVENTS) {
    return {
      size: null,
      timer: true,
      note: `a slower source: events of ~${Math.round(s.charsPerEvent)} characters every ~${s.intervalMs} ms, smaller than the baseline's ~${Math.round(b.charsPerEvent)}: a timer releases them`,
    };
  }
  if (s.charsPerEvent >= b.charsPerEvent * SLOWER_SMALLER_SHARE) {
    return {
      size: true,
      timer: false,
      note: `a slower source: events still waited for ~${Math.round(s.charsPerEvent)} characters${s.intervalMs === null ? '' : ` (every ~${s.intervalMs} ms)`}: a size threshold, no timer`,
    };
  }
  return { size: null, timer: null, note: `a slower source: ${s.tokensPerEvent} tokens per event: no clear rule` };
}

/**
 * The backend's rule from the baseline and the source experiments: size and timer each found,
 * ruled out, or unknown. A baseline of one token per event (STREAMING with a caveat) becomes
 * PERIODIC_FLUSH when a faster source exposes a timer (its interval from that run).
 */
export function resolveCoalescing(base: Classification, findings: readonly RuleFinding[], fast: Classification | null): { classification: Classification; note: string } {
  const size = findings.some((f) => f.size === true);
  const timer = findings.some((f) => f.timer === true);
  const noTimer = findings.some((f) => f.timer === false);
  if (base.rule === null) {
    if (base.verdict !== 'STREAMING' || base.caveat === null) return { classification: base, note: '' };
    if (timer && fast !== null && isCoalesced(fast.coalescing)) {
      const fc = coalescedClassification(base, fast.coalescing);
      return {
        classification: {
          ...fc,
          verdict: 'PERIODIC_FLUSH',
          rule: 'timer',
          steady: false,
          flushIntervalMs: fast.coalescing.intervalMs,
          needed: null,
          reason: `a timer in the backend: a faster source came ${fast.coalescing.tokensPerEvent} tokens per event every ~${fast.coalescing.intervalMs} ms (the baseline's one token per event matched a slower source)`,
        },
        note: 'a faster source exposed a timer',
      };
    }
    if (noTimer) return { classification: { ...base, caveat: null, reason: `${base.reason}; a faster source still came one token per event: no timer` }, note: 'a faster source ruled out a timer' };
    return { classification: base, note: '' };
  }
  if (!isCoalesced(base.coalescing)) return { classification: base, note: '' };
  const co = base.coalescing;
  const sizePart = `a size threshold (~${Math.round(co.charsPerEvent)} characters)`;
  const head = coalescedHead(co);
  const why = findings.filter((f) => f.size === true || f.timer !== null).map((f) => f.note).join('; ');
  if (size && timer) {
    return {
      classification: {
        ...base,
        verdict: 'PERIODIC_FLUSH',
        rule: 'timer+size',
        steady: false,
        needed: null,
        flushIntervalMs: co.intervalMs,
        thresholdChars: Math.round(co.charsPerEvent),
        reason: `${head}: a timer (~${co.intervalMs} ms) and ${sizePart}, the guide's buffer (${why})`,
      },
      note: 'a timer and a size threshold',
    };
  }
  if (size && (noTimer || base.rule === 'size')) {
    return {
      classification: {
        ...base,
        verdict: 'SIZE_THRESHOLD',
        rule: 'size',
        steady: false,
        needed: null,
        flushIntervalMs: null,
        thresholdChars: Math.round(co.charsP10),
        reason: `${head}: ${sizePart}, no timer (${why})`,
      },
      note: 'a size threshold',
    };
  }
  if (timer && !size) {
    return {
      classification: {
        ...base,
        verdict: 'PERIODIC_FLUSH',
        rule: 'timer',
        steady: false,
        needed: null,
        flushIntervalMs: co.intervalMs,
        reason: `${head}: a timer (~${co.intervalMs} ms)${findings.some((f) => f.size === false) ? ', no size threshold' : ''} (${why})`,
      },
      note: 'a timer',
    };
  }
  if (size) {
    return {
      classification: {
        ...base,
        rule: base.rule === 'timer' ? 'timer+size' : base.rule,
        flushIntervalMs: base.flushIntervalMs ?? co.intervalMs,
        thresholdChars: Math.round(co.charsPerEvent),
        reason: `${base.reason}; ${sizePart}`,
      },
      note: 'a size threshold beside the rule seen',
    };
  }
  return { classification: base, note: '' };
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

/**
 * Hop by hop (`doctor --hop NAME=URL …`): what a hop adds over the one before. Each round measured
 * every hop once, with the same source schedule; the n-th text event of a round arrives (from its
 * request's start) some ms later at this hop than at the previous one. A round's value is the
 * median of those differences; the hop adds the median of the rounds' values, and its noise is half
 * their spread (at least HOP_NOISE_FLOOR_MS, the timer resolution of a busy machine). The rounds,
 * not the events, are the samples: on a loaded machine a whole round starts late (measured: rounds
 * 100 ms apart under load average 24 on 2 cores, events within a round a few ms apart).
 */
export const HOP_NOISE_FLOOR_MS = 2;
/** A hop is blamed for its delay alone when at least this many rounds measured it (one or two rounds show no spread) … */
export const HOP_MIN_ROUNDS = 3;
/** … it adds at least this much … */
export const HOP_ADDED_MIN_MS = 20;
/** … and more than this many times its noise. */
export const HOP_NOISE_FACTOR = 2;

/** Arrival times (ms from each request's start) per round, at the previous hop and at this one. */
export function addedOverPrevious(
  prev: readonly (readonly number[])[],
  cur: readonly (readonly number[])[],
): { addedMs: number; noiseMs: number | null; rounds: number } | null {
  const perRound: number[] = [];
  for (let r = 0; r < Math.min(prev.length, cur.length); r++) {
    const a = prev[r]!;
    const b = cur[r]!;
    const k = Math.min(a.length, b.length);
    if (k === 0) continue;
    const d: number[] = [];
    for (let j = 0; j < k; j++) d.push(b[j]! - a[j]!);
    perRound.push(median(d));
  }
  if (perRound.length === 0) return null;
  const sorted = [...perRound].sort((x, y) => x - y);
  return {
    addedMs: round1(quantile(sorted, 0.5)),
    // One round has no spread: its noise is unknown, not zero.
    noiseMs: sorted.length < 2 ? null : round1(Math.max(HOP_NOISE_FLOOR_MS, (sorted.at(-1)! - sorted[0]!) / 2)),
    rounds: sorted.length,
  };
}

/**
 * Which hop the summary blames: the backend when the first hop already holds the stream (a
 * buffering verdict); else the first hop that holds it (its verdict is evidence that does not
 * depend on the rounds' timing); else the hop that adds the most delay
 * beyond HOP_ADDED_MIN_MS and HOP_NOISE_FACTOR × its noise; else none.
 */
export function blameHop(hops: readonly HopResult[]): HopBlame | null {
  if (hops.length === 0) return null;
  const first = hops[0]!;
  const adds = (h: HopResult) =>
    `${h.name} adds ${h.addedMs === null ? '?' : `${h.addedMs >= 0 ? '+' : '−'}${Math.abs(h.addedMs)}`} ms (noise ±${h.addedNoiseMs ?? '?'} ms) over the hop before` + (h.verdict === 'STREAMING' ? '' : `: ${h.verdict}`);
  const aboveNoise = (h: HopResult) =>
    h.addedMs !== null && h.addedNoiseMs !== null && h.rounds >= HOP_MIN_ROUNDS && h.addedMs >= HOP_ADDED_MIN_MS && h.addedMs > HOP_NOISE_FACTOR * h.addedNoiseMs;
  const rest = hops.slice(1);
  // The first hop that holds the stream, when none before it does.
  const turns = rest.find((h) => isHeld(h.verdict));
  if (isHeld(first.verdict)) {
    const coalesces = first.tokensPerEvent !== null ? `, coalescing ${first.tokensPerEvent} source tokens per event` : '';
    const then = turns ?? rest.filter(aboveNoise).sort((a, b) => b.addedMs! - a.addedMs!)[0];
    return {
      hop: first.name,
      kind: 'backend',
      addedMs: null,
      sentence: `the backend (${first.name}) already holds the stream: ${first.verdict}${coalesces}` + (then !== undefined ? `; then ${adds(then)}` : ''),
    };
  }
  if (turns !== undefined) {
    const prev = hops[hops.indexOf(turns) - 1]!;
    return { hop: turns.name, kind: 'adds', addedMs: turns.addedMs, sentence: `${adds(turns)}; the stream was ${prev.verdict} at ${prev.name}` };
  }
  const top = rest.filter(aboveNoise).sort((a, b) => b.addedMs! - a.addedMs!)[0];
  if (top !== undefined) return { hop: top.name, kind: 'adds', addedMs: top.addedMs, sentence: adds(top) };
  const largest = rest.filter((h) => h.addedMs !== null).sort((a, b) => b.addedMs! - a.addedMs!)[0];
  return {
    hop: largest?.name ?? first.name,
    kind: 'none',
    addedMs: largest?.addedMs ?? null,
    sentence:
      largest === undefined
        ? 'no hop could be compared (no text events at two hops)'
        : `no hop holds the stream or adds a delay above ${HOP_ADDED_MIN_MS} ms and ${HOP_NOISE_FACTOR}× its noise over ${HOP_MIN_ROUNDS}+ rounds ` +
          `(largest: ${largest.name} +${largest.addedMs} ms ±${largest.addedNoiseMs ?? '?'} ms, ${largest.rounds} round${largest.rounds === 1 ? '' : 's'})`,
  };
}
