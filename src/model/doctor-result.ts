import type { Fix } from './fix.js';
import type { Intermediary } from './header-findings.js';

/** What doctor found: verdicts, the evidence behind them, attribution and fixes (docs/troubleshooting.md). */

export const VERDICTS = ['STREAMING', 'FULLY_BUFFERED', 'SIZE_THRESHOLD', 'PERIODIC_FLUSH', 'INCONCLUSIVE'] as const;

export type Verdict = (typeof VERDICTS)[number];

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

export type StepId = 'compression' | 'accept' | 'event-size' | 'direct' | 'browser';

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
  implicates: 'compression' | 'accept' | 'size' | 'path' | 'backend' | 'queueing' | 'main-thread' | 'browser' | null;
}

export interface RankedFix extends Fix {
  /** Why it is ranked here. */
  because: string;
}

export interface DoctorResult {
  url: string;
  direct: string | null;
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
