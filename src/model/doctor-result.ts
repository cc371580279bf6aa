import type { Fix } from './fix.js';
import type { Intermediary } from './header-findings.js';

/** What doctor found: verdicts, the evidence behind them, attribution and fixes (docs/troubleshooting.md). */

export const VERDICTS = ['STREAMING', 'FULLY_BUFFERED', 'SIZE_THRESHOLD', 'PERIODIC_FLUSH', 'INCONCLUSIVE'] as const;

export type Verdict = (typeof VERDICTS)[number];

/** The verdicts of a stream someone holds (a buffer, a size threshold, a timer), as against STREAMING or INCONCLUSIVE. */
export const HELD_VERDICTS: readonly Verdict[] = ['FULLY_BUFFERED', 'SIZE_THRESHOLD', 'PERIODIC_FLUSH'];

export const isHeld = (v: Verdict): boolean => HELD_VERDICTS.includes(v);

export interface VerdictEvidence {
  events: number;
  bytes: number;
  /** Distinct reads that completed events. */
  reads: number;
  /** Releases: groups of events that arrived together. */
  releases: number;
  /** Which stamps the waits used: `t_src` (lag + hold), `t` (lag only), or none. */
  stamps: 't_src' | 't' | 'none';
  /** Server-side production span (stamps) or first-to-last arrival (no stamps), ms. */
  spanMs: number;
  /** Share of the bytes in the final release (0–1). */
  finalShare: number;
  /** Arrival of the final release, ms from the request start. */
  finalArrivalMs: number;
  /** Waits (lag + hold), ms; null without stamps. */
  medianWaitMs: number | null;
  p90WaitMs: number | null;
  maxWaitMs: number | null;
  /** Wait of the first content event (what the buffering adds to first-chunk latency), ms. */
  firstContentWaitMs: number | null;
  /** Median time between releases (final excluded), ms, and its coefficient of variation. */
  intervalMs: number | null;
  intervalCv: number | null;
  /** Median bytes per release (final excluded), and its coefficient of variation. */
  releaseBytes: number | null;
  bytesCv: number | null;
}

/**
 * What doctor asked the source for, when it knows (our ping and the guide's API: `count` tokens of
 * `tokenChars` characters, `intervalMs` apart): tokens asked against events received.
 */
export interface SourceAsked {
  count: number;
  intervalMs: number;
  tokenChars: number;
}

/** The content of the events (docs/troubleshooting.md, "Coalescing in the backend"). */
export interface CoalescingEvidence {
  /** Tokens per event counted from the asked token's size (`asked`) or from the words of the text (`text`). */
  basis: 'asked' | 'text';
  /** Events that carried text. */
  contentEvents: number;
  /** Tokens asked for (our ping / the guide's API), null on other APIs. */
  tokensAsked: number | null;
  /** Tokens seen in all the events' text. */
  tokensSeen: number;
  /** Median tokens per event (the final event, the end-of-stream flush, left out), and the share of events with one. */
  tokensPerEvent: number;
  tokensCv: number | null;
  singleTokenShare: number;
  /** Median characters per event, their coefficient of variation and 10th percentile. */
  charsPerEvent: number;
  charsCv: number | null;
  charsP10: number;
  /** Median time between text events (server `t` when every event has it, else arrival), its CV, and which clock. */
  intervalMs: number | null;
  intervalCv: number | null;
  clock: 't' | 'arrival';
  /** The pace asked (ms a token) and the pace seen (interval / tokens per event). */
  paceAskedMs: number | null;
  paceSeenMs: number | null;
}

/**
 * The coalescing buffer's rule: a timer, a size threshold, both (the guide's "40 characters or 100
 * ms"), or `timer-or-size` while a steady source keeps them alike.
 */
export type CoalescingRule = 'timer' | 'size' | 'timer+size' | 'timer-or-size';

export interface Classification {
  verdict: Verdict;
  /** One sentence: why this verdict, with the numbers. */
  reason: string;
  /** INCONCLUSIVE only: what would make it conclusive. */
  needed: string | null;
  /** PERIODIC_FLUSH: the release interval, ms. */
  flushIntervalMs: number | null;
  /** PERIODIC_FLUSH from a steady source: releases were steady in size as well as in time. */
  steady: boolean;
  /** SIZE_THRESHOLD: bytes per release, and the same in KiB (1 decimal). */
  thresholdBytes: number | null;
  thresholdKiB: number | null;
  /** PERIODIC_FLUSH / SIZE_THRESHOLD / FULLY_BUFFERED: first-chunk latency the buffering added, ms. */
  addedFirstContentMs: number | null;
  evidence: VerdictEvidence;
  /** The events' text, when doctor read it (null: no text seen). */
  coalescing: CoalescingEvidence | null;
  /** Set when the backend coalesces source tokens into events (tokens per event ≥ COALESCED_TOKENS). */
  rule: CoalescingRule | null;
  /** SIZE_THRESHOLD in the backend: characters per event. */
  thresholdChars: number | null;
  /** The evidence cannot rule something out (a steady source and a timer look alike): what it is and the experiment that would tell. */
  caveat: string | null;
}

export interface RunSummary {
  verdict: Verdict;
  reason: string;
  status: number | null;
  error: string | null;
  headersMs: number | null;
  firstContentMs: number | null;
  endMs: number;
  events: number;
  reads: number;
  contentEncoding: string;
}

export type StepId = 'compression' | 'accept' | 'event-size' | 'source-faster' | 'source-slower' | 'direct' | 'browser';

export interface AttributionStep {
  id: StepId;
  /** The one thing this run changed. */
  changed: string;
  /** null when skipped. */
  verdict: Verdict | null;
  run: RunSummary | null;
  classification: Classification | null;
  /** What the difference (or its absence) says. */
  conclusion: string;
  /** The cause this step points at, when it points at one. */
  /** `queueing`, `main-thread`, `browser`: doctor --browser's step (docs/troubleshooting.md). */
  implicates: 'compression' | 'accept' | 'size' | 'timer' | 'path' | 'backend' | 'queueing' | 'main-thread' | 'browser' | null;
  /** The cause this step rules out (its fix is then not offered). */
  clears?: 'compression' | 'accept' | null;
}

/** One hop of `doctor --hop NAME=URL …` (the first is the backend), measured in interleaved rounds. */
export interface HopResult {
  name: string;
  url: string;
  /** HTTP version the hop answered with (first round). */
  httpVersion: '1.1' | '2' | null;
  verdict: Verdict;
  agree: number;
  of: number;
  reason: string;
  /** Tokens per event when the backend coalesces (null: not coalesced or no text seen), and the buffer's rule. */
  tokensPerEvent: number | null;
  rule: CoalescingRule | null;
  /** First content over the rounds, ms. */
  firstContentP50Ms: number | null;
  firstContentP90Ms: number | null;
  /** Median wait of the events from the server's stamps (hold with `t_src`, lag with `t`), ms; null without stamps. */
  waitMs: number | null;
  waitKind: 'hold+lag' | 'lag' | null;
  /**
   * What this hop adds over the one before: the median over rounds of the median per-event arrival
   * difference (the same n-th text event at both hops), ms, and its noise (half the spread of the
   * rounds' values, at least the machine's resolution). null on the first hop.
   */
  addedMs: number | null;
  addedNoiseMs: number | null;
  /** Rounds that measured both this hop and the one before (the noise needs two; blame by delay alone needs HOP_MIN_ROUNDS). */
  rounds: number;
  /** The same for first content alone. */
  addedFirstContentMs: number | null;
}

/** The hop the summary blames, and why. */
export interface HopBlame {
  hop: string;
  /** `backend`: the first hop already holds; `adds`: this hop adds the delay; `none`: nothing adds more than its noise. */
  kind: 'backend' | 'adds' | 'none';
  addedMs: number | null;
  sentence: string;
}

export interface RankedFix extends Fix {
  /** Why it is ranked here. */
  because: string;
}

export interface DoctorResult {
  url: string;
  direct: string | null;
  /** `--hop` (or `--direct`, two hops): the table; null for one URL. */
  hops: HopResult[] | null;
  blame: HopBlame | null;
  verdict: Verdict;
  agree: number;
  of: number;
  /** The runs' majority verdict, when a later step changed it (a steady PERIODIC_FLUSH resolved by the event-size step). */
  runsVerdict: Verdict;
  resolvedBy: string | null;
  /** The classification behind the verdict (a run that got the majority verdict). */
  classification: Classification;
  runs: RunSummary[];
  intermediaries: Intermediary[];
  responseHeaders: Array<[string, string]>;
  attribution: AttributionStep[];
  fixes: RankedFix[];
  nothingMeasured: boolean;
  reason: string;
  elapsedMs: number;
}
