import { bucketsOf, decodeHistogram } from '../../model/metric-histogram.js';
import type { MetricStats } from '../../model/report.js';

/** One non-empty bucket of a recorded histogram, in the metric's unit (ms or count). */
export interface Bucket {
  value: number;
  count: number;
}


/**
 * The recorded buckets of a report metric, from its encoded histogram, in ascending value: µs
 * histograms (`unit: 'ms'`) come back in ms. A bucket's value is its highest equivalent value, as
 * the report's percentiles are, so a plotted p99 falls on the curve.
 */
export function recordedBuckets(m: MetricStats): Bucket[] {
  if (m.count === 0) return [];
  const it = bucketsOf(decodeHistogram(m.histogram)).recordedValuesIterator;
  const scale = m.unit === 'ms' ? 1 / 1000 : 1;
  const out: Bucket[] = [];
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    if (v.countAtValueIteratedTo > 0) out.push({ value: v.valueIteratedTo * scale, count: v.countAtValueIteratedTo });
  }
  return out;
}

/** The empirical CDF as steps: each bucket lifts the curve from the fraction below it to its own. */
export function cdfSteps(buckets: readonly Bucket[]): Array<{ value: number; from: number; to: number }> {
  const total = buckets.reduce((s, b) => s + b.count, 0);
  let below = 0;
  return buckets.map((b) => {
    const from = below / total;
    below += b.count;
    return { value: b.value, from, to: below / total };
  });
}

/** A bin of a log-spaced histogram: [lo, hi) in the metric's unit. */
export interface Bin {
  lo: number;
  hi: number;
  count: number;
}

/**
 * Re-bins buckets into `perDecade` log-spaced bins per decade starting at `lo` (the plot's domain);
 * only non-empty bins are returned. Every bucket lands in exactly one bin, so the counts add up
 * to the metric's count.
 */
export function logBins(buckets: readonly Bucket[], lo: number, perDecade: number): Bin[] {
  const bins = new Map<number, number>();
  for (const b of buckets) {
    const v = Math.max(b.value, lo);
    const i = Math.floor(Math.log10(v / lo) * perDecade + 1e-9);
    bins.set(i, (bins.get(i) ?? 0) + b.count);
  }
  return [...bins.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([i, count]) => ({ lo: lo * 10 ** (i / perDecade), hi: lo * 10 ** ((i + 1) / perDecade), count }));
}
