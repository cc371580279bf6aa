import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { KernelPoolStats } from '../jupyter/kernel-pool.js';
import type { DoneStats } from '../model/protocol.js';

/**
 * Prometheus metrics of one server (GET /metrics). A registry per server, so several servers in
 * one process (tests, compare) do not share counters. Label values are bounded: policy, operation,
 * outcome and error code come from fixed lists; notebook ids never become labels.
 * Units follow Prometheus conventions (seconds, bytes).
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly activeStreams: Gauge;
  readonly streams: Counter<'operation' | 'policy' | 'outcome'>;
  readonly events: Counter<'policy'>;
  readonly bytes: Counter<'policy'>;
  readonly writes: Counter<'policy'>;
  readonly firstChunk: Histogram<'policy'>;
  readonly hold: Histogram<'policy'>;
  readonly errors: Counter<'code'>;

  constructor(bufferedBytes: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.activeStreams = new Gauge({ name: 'nbs_streams_active', help: 'Streams open now', registers });
    this.streams = new Counter({ name: 'nbs_streams_total', help: 'Streams ended, by operation, flush policy and outcome', labelNames: ['operation', 'policy', 'outcome'], registers });
    this.events = new Counter({ name: 'nbs_events_sent_total', help: 'Events written (done excluded)', labelNames: ['policy'], registers });
    this.bytes = new Counter({ name: 'nbs_bytes_sent_total', help: 'Event bytes written (heartbeats and done excluded)', labelNames: ['policy'], registers });
    this.writes = new Counter({ name: 'nbs_writes_total', help: 'write() calls on response bodies, the one carrying done included', labelNames: ['policy'], registers });
    this.firstChunk = new Histogram({
      name: 'nbs_server_first_chunk_seconds',
      help: 'Request received to first content event written',
      labelNames: ['policy'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.hold = new Histogram({
      name: 'nbs_hold_seconds',
      help: 'Time an event waited in the flush buffer (t - t_src), per event',
      labelNames: ['policy'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.errors = new Counter({ name: 'nbs_errors_total', help: 'Errors by code: refused requests and error events', labelNames: ['code'], registers });
    new Gauge({
      name: 'nbs_stream_buffered_bytes',
      help: 'Bytes written to open streams but not yet sent (slow readers)',
      registers,
      collect() {
        this.set(bufferedBytes());
      },
    });
  }

  /**
   * Kernel gauges, read from the execute source when Prometheus scrapes. Per-kernel RSS is labelled
   * by slot (0 … max-kernels − 1), not by kernel id, so the series stay bounded as kernels come and go.
   */
  addKernelMetrics(stats: () => Promise<KernelPoolStats | undefined>): void {
    const registers = [this.registry];
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length === 0 ? 0 : (s[Math.floor((s.length - 1) / 2)] as number);
    };
    new Gauge({
      name: 'nbs_kernels',
      help: 'Jupyter kernels by state (live, starting) and the limit on live kernels (max)',
      labelNames: ['state'],
      registers,
      async collect() {
        const s = await stats();
        this.set({ state: 'live' }, s?.live ?? 0);
        this.set({ state: 'starting' }, s?.starting ?? 0);
        this.set({ state: 'max' }, s?.maxKernels ?? 0);
      },
    });
    new Gauge({
      name: 'nbs_kernel_start_seconds',
      help: 'Kernel start time over the last 100 starts (start-up cell included)',
      labelNames: ['stat'],
      registers,
      async collect() {
        const starts = (await stats())?.recentStartMs ?? [];
        this.set({ stat: 'median' }, median(starts) / 1000);
        this.set({ stat: 'max' }, (starts.length === 0 ? 0 : Math.max(...starts)) / 1000);
        this.set({ stat: 'count' }, starts.length);
      },
    });
    new Gauge({
      name: 'nbs_kernel_rss_bytes',
      help: 'Resident memory of each live kernel process (from /proc), by slot',
      labelNames: ['slot'],
      registers,
      async collect() {
        this.reset();
        const kernels = (await stats())?.kernels ?? [];
        kernels.forEach((k, i) => {
          if (k.rssBytes !== undefined) this.set({ slot: String(i) }, k.rssBytes);
        });
      },
    });
  }

  streamEnded(operation: string, policy: string, outcome: string, stats: DoneStats): void {
    this.streams.inc({ operation, policy, outcome });
    this.events.inc({ policy }, stats.events);
    this.bytes.inc({ policy }, stats.bytes);
    this.writes.inc({ policy }, stats.writes);
    if (stats.server_first_chunk_ms !== null) this.firstChunk.observe({ policy }, stats.server_first_chunk_ms / 1000);
  }
}
