import { performance } from 'node:perf_hooks';
import type { Histogram } from 'hdr-histogram-js';
import { newHistogram, recordClamped } from '../model/metric-histogram.js';

/**
 * `client_loop_delay_ms`: how late a 10 ms timer fires in the measuring process. A busy client
 * loop delays every callback, so every other time it reports; this says by how much.
 */
export class LoopDelaySampler {
  readonly histogram: Histogram = newHistogram();
  private timer: NodeJS.Timeout | null = null;

  start(intervalMs = 10): void {
    let expected = performance.now() + intervalMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      recordClamped(this.histogram, (now - expected) * 1000);
      expected = now + intervalMs;
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
