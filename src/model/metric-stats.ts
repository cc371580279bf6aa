import type { Histogram } from 'hdr-histogram-js';
import { histogramMoments } from './histogram-moments.js';
import { bucketsOf, decodeHistogram, encodeHistogram, newHistogram } from './metric-histogram.js';
import type { MetricStats } from './report.js';

export const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Statistics of a histogram, computed from its encoded form: what a reader decodes (and `merge`
 * adds) gives the very same numbers, where the live histogram's exact min/max would not.
 */
export function metricStats(live: Histogram, unit: 'ms' | 'count'): MetricStats {
  const histogram = encodeHistogram(live);
  const h = decodeHistogram(histogram);
  const n = h.totalCount;
  const scale = unit === 'ms' ? 1 / 1000 : 1;
  // hdr reports a bucket's highest equivalent value: clamp so no percentile exceeds the max.
  const max = h.maxValue;
  const low = minValue(h);
  const v = (x: number) => (n === 0 ? null : round3(Math.min(x, max) * scale));
  const moments = histogramMoments(h);
  // The mean uses bucket midpoints while min uses the bucket's top: keep mean within [min, max].
  const mean = Math.min(Math.max(moments.mean, low), max);
  return {
    unit,
    count: n,
    p50: v(h.getValueAtPercentile(50)),
    p90: v(h.getValueAtPercentile(90)),
    p99: v(h.getValueAtPercentile(99)),
    'p99.9': v(h.getValueAtPercentile(99.9)),
    min: v(low),
    max: v(h.maxValue),
    mean: v(mean),
    stdev: v(moments.stdev),
    histogram,
  };
}

/**
 * The smallest value, on the same footing as the percentiles (a bucket's highest equivalent
 * value), so that min ≤ p50 holds when the samples share a bucket. A recorded 0 stays 0.
 */
function minValue(h: Histogram): number {
  if (h.getValueAtPercentile(0) === 0) return 0;
  return bucketsOf(h).highestEquivalentValue(h.minNonZeroValue);
}

/** How a histogram becomes its statistics; the load runner defers it to the end of the run (load-summary.ts). */
export type StatsOf = (h: Histogram, unit: 'ms' | 'count') => MetricStats;

/**
 * Where a summary's histograms come from, and what becomes of them. By default a summary builds
 * its own and computes their statistics. A running summary (load-summary.ts) lends the run's own
 * histograms, so that a batch records straight into them and the statistics wait for the end
 * (issue 31: a fresh 1 µs … 1 h histogram per metric and batch is ~94 KB, and adding it to the
 * run's walks all its buckets; that cost more than the batch's records).
 */
export interface Histograms {
  of(metric: string): Histogram;
  stats: StatsOf;
}

export const FRESH_HISTOGRAMS: Histograms = { of: () => newHistogram(), stats: metricStats };
