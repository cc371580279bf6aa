import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DoneStats } from '../protocol.js';

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

  streamEnded(operation: string, policy: string, outcome: string, stats: DoneStats): void {
    this.streams.inc({ operation, policy, outcome });
    this.events.inc({ policy }, stats.events);
    this.bytes.inc({ policy }, stats.bytes);
    this.writes.inc({ policy }, stats.writes);
    if (stats.server_first_chunk_ms !== null) this.firstChunk.observe({ policy }, stats.server_first_chunk_ms / 1000);
  }
}
