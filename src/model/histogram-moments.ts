import type { Histogram } from 'hdr-histogram-js';
import { bucketsOf } from './metric-histogram.js';

/**
 * `mean` and `stdDeviation` of a histogram, the very numbers hdr-histogram-js computes (the same
 * bucket medians, summed in the same order), in one pass over the counts. Its own getters walk a
 * RecordedValuesIterator twice and take ~10 ms each on a wide histogram: summarising a batch of a
 * load run would block the event loop (and so delay every stamp) for hundreds of ms.
 */
export function histogramMoments(h: Histogram): { mean: number; stdev: number } {
  const n = h.totalCount;
  if (n === 0) return { mean: 0, stdev: 0 };
  const b = bucketsOf(h);
  const len = b.countsArrayLength;
  const used: number[] = [];
  let total = 0;
  for (let i = 0; i < len; i++) {
    const c = b.getCountAtIndex(i);
    if (c === 0) continue;
    used.push(i);
    total += b.medianEquivalentValue(b.highestEquivalentValue(b.valueFromIndex(i))) * c;
  }
  const mean = total / n;
  let dev = 0;
  for (const i of used) {
    const d = b.medianEquivalentValue(b.highestEquivalentValue(b.valueFromIndex(i))) - mean;
    dev += d * d * b.getCountAtIndex(i);
  }
  return { mean, stdev: Math.sqrt(dev / n) };
}
