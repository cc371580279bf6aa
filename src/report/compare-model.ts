import { betterDirection, isMsMetric } from '../model/metric-catalog.js';
import { changePct, judge, rangeOf, type Range, type Verdict } from '../model/significance.js';
import type { Report, ReportConfiguration, ReportFlushSettings } from '../model/report.js';

/** The measured rows of the guide-style table, in order (issue: one row per measure). */
export const COMPARE_ROWS: ReadonlyArray<{ key: string; metric: string; stat: 'p50' | 'p99' | null }> = [
  { key: 'first_content_ms.p50', metric: 'first_content_ms', stat: 'p50' },
  { key: 'first_content_ms.p99', metric: 'first_content_ms', stat: 'p99' },
  { key: 'hold_ms.p50', metric: 'hold_ms', stat: 'p50' },
  { key: 'lag_ms.p50', metric: 'lag_ms', stat: 'p50' },
  // p99: the longest silences are the stutter a user sees (p50 is often a same-read 0).
  { key: 'gap_ms.p99', metric: 'gap_ms', stat: 'p99' },
  { key: 'events_per_read.p50', metric: 'events_per_read', stat: 'p50' },
  { key: 'writes_per_stream.p50', metric: 'writes_per_stream', stat: 'p50' },
  { key: 'wire_bytes_per_event', metric: 'wire_bytes_per_event', stat: null },
  { key: 'server_cpu_ms_per_stream', metric: 'server_cpu_ms_per_stream', stat: null },
];

/** compare --browser: the page's rows, after the wire's, when a configuration carries them. */
export const BROWSER_COMPARE_ROWS: ReadonlyArray<{ key: string; metric: string; stat: 'p50' | 'p99' | null }> = [
  { key: 'browser_first_content_ms.p50', metric: 'browser_first_content_ms', stat: 'p50' },
  { key: 'browser_first_content_ms.p99', metric: 'browser_first_content_ms', stat: 'p99' },
  { key: 'browser_gap_ms.p99', metric: 'browser_gap_ms', stat: 'p99' },
  { key: 'paint_delay_ms.p99', metric: 'paint_delay_ms', stat: 'p99' },
  { key: 'browser_overhead_ms.p50', metric: 'browser_overhead_ms', stat: 'p50' },
];

/** A measured cell's change against the first column. */
export interface ChangeCell {
  /** True when either side has no value: nothing to compare. */
  missing: boolean;
  pct: number | null;
  verdict: Verdict;
  /** When significant: whether the change goes the better way for this metric. */
  better: boolean | null;
}

export interface MeasureRow {
  key: string;
  metric: string;
  stat: 'p50' | 'p99' | null;
  unit: 'ms' | 'count';
  /** Pooled over all rounds, per configuration (the report's own numbers). */
  values: Array<number | null>;
  /** Range of the per-round values, per configuration. */
  ranges: Array<Range | null>;
  /** Per configuration after the first. */
  changes: ChangeCell[];
  /** Per configuration: the per-round values spread too far to read the pooled value alone. */
  noisy: boolean[];
}

/**
 * A value whose rounds spread by more than this share of their median is flagged noisy: on a
 * shared machine server CPU per stream read 10.4 and 6.1 ms for one backend (issue 32).
 */
export const NOISY_SPREAD = 0.5;

function isNoisy(values: ReadonlyArray<number | null>): boolean {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length < 3) return false;
  const median = xs[Math.floor(xs.length / 2)]!;
  return median > 0 && (xs.at(-1)! - xs[0]!) / median > NOISY_SPREAD;
}

export type SettingKey = 'flush_interval' | 'char_threshold' | 'kernel_wait';

export interface SettingRow {
  key: SettingKey;
  settings: Array<ReportFlushSettings | null>;
}

export interface Comparison {
  columns: string[];
  settings: SettingRow[];
  rows: MeasureRow[];
  /** Rounds per configuration (the smallest), null when the reports carry none. */
  rounds: number | null;
  /** Streams per configuration per round (the first round of the first column). */
  streamsPerRound: number | null;
}

function roundValues(c: ReportConfiguration, metric: string, stat: 'p50' | 'p99' | null): Array<number | null> {
  return (c.rounds ?? []).map((r) => (stat === null ? (r.scalars[metric] ?? null) : (r.metrics[metric]?.[stat] ?? null)));
}

function pooledValue(c: ReportConfiguration, metric: string, stat: 'p50' | 'p99' | null): number | null {
  if (stat === null) return c.scalars[metric] ?? null;
  const m = c.metrics[metric];
  return m === undefined || m.count === 0 ? null : m[stat];
}

/** The setting a row restates; null for the adaptive policy, which has none. */
export function settingValue(s: ReportFlushSettings, key: SettingKey): number | null {
  if (key === 'kernel_wait') return s.kernel_wait_ms === 0 ? null : s.kernel_wait_ms;
  if (s.mode === 'adaptive') return null;
  return key === 'flush_interval' ? s.flush_interval_ms : s.min_chars;
}

/** The comparison's data: every table, Markdown or JSON rendering reads only this. */
export function buildComparison(report: Report): Comparison {
  const cs = report.configurations;
  const first = cs[0]!;
  const rowSpecs = cs.some((c) => c.browser !== undefined) ? [...COMPARE_ROWS, ...BROWSER_COMPARE_ROWS] : COMPARE_ROWS;
  const rows: MeasureRow[] = rowSpecs.map(({ key, metric, stat }) => {
    const values = cs.map((c) => pooledValue(c, metric, stat));
    const perRound = cs.map((c) => roundValues(c, metric, stat));
    const ranges = perRound.map((v) => rangeOf(v));
    // Only the CPU figure is noisy enough to need it: a machine's other work lands in it directly.
    const noisy = perRound.map((v) => metric === 'server_cpu_ms_per_stream' && isNoisy(v));
    const changes = cs.slice(1).map((_, j): ChangeCell => {
      const i = j + 1;
      const verdict = judge(ranges[0]!, ranges[i]!);
      const pct = changePct(values[0]!, values[i]!);
      const better = verdict.kind === 'significant' ? (verdict.direction === betterDirection(metric)) : null;
      return { missing: values[0] === null || values[i] === null, pct, verdict, better };
    });
    const unit = stat === null ? (isMsMetric(metric) ? 'ms' : 'count') : (first.metrics[metric]?.unit ?? (metric.endsWith('_ms') ? 'ms' : 'count'));
    return { key, metric, stat, unit, values, ranges, changes, noisy };
  });
  const settingKeys: SettingKey[] = ['flush_interval', 'char_threshold', 'kernel_wait'];
  const settingsOf = cs.map((c) => c.flush_settings ?? null);
  const settings = settingKeys.map((key): SettingRow => ({ key, settings: settingsOf }));
  const counts = cs.map((c) => c.rounds?.length ?? 0);
  const rounds = counts.every((n) => n > 0) ? Math.min(...counts) : null;
  return {
    columns: cs.map((c) => c.name),
    settings,
    rows,
    rounds,
    streamsPerRound: first.rounds?.[0]?.requests.measured ?? null,
  };
}
