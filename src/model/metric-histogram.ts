import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, JsHistogram, type Histogram } from 'hdr-histogram-js';

/** 1 µs … 1 h at 3 significant digits (docs/metrics.md). */
export const HISTOGRAM_MAX = 3_600_000_000;

/** A histogram in integer µs (latencies) or plain counts; values past the range are clamped. */
export function newHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HISTOGRAM_MAX,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
    useWebAssembly: false,
  });
}

export function recordClamped(h: Histogram, value: number): void {
  const v = Math.round(value);
  h.recordValue(v < 0 ? 0 : v > HISTOGRAM_MAX ? HISTOGRAM_MAX : v);
}

/** HdrHistogram's compressed base64 form (the format autocannon and the Java/Go ports share). */
export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, 32, false);
}

/**
 * The bucket-level view of a histogram: hdr-histogram-js's exported JsHistogram class, whose public
 * methods (countsArrayLength, getCountAtIndex, valueFromIndex, highestEquivalentValue,
 * recordedValuesIterator, …) its `Histogram` interface leaves out. Every histogram of ours is a
 * JsHistogram (built and decoded with useWebAssembly false); anything else is a programming error.
 */
export function bucketsOf(h: Histogram): JsHistogram {
  if (h instanceof JsHistogram) return h;
  throw new TypeError('not a JS histogram: build it with newHistogram() or decodeHistogram()');
}
