import { byFieldName, field, ft, renderFieldText, type FieldNamer } from '../model/field-text.js';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { arrivalSchedule, type Arrival } from './arrival-schedule.js';
import { LoadClient, type ConnectionStats } from './load-client.js';
import { LoopDelaySampler } from './loop-delay-sampler.js';
import { blankRecord, type StreamRecord } from '../model/record.js';
import { isWebSocketUrl, type RequestSpec } from './request-spec.js';
import { WsStreamClient } from './ws-stream-client.js';
import type { Histogram } from 'hdr-histogram-js';

/** How bench generates load. */
export interface LoadPlan {
  /** closed: `concurrency` streams, each starting when the last ended. open: `rate` a second, whatever happens. */
  model: 'closed' | 'open';
  concurrency: number;
  rate: number;
  arrival: Arrival;
  /** The run ends after this many measured requests (`-n`), or after `durationMs` (`-d`). */
  requests: number | null;
  durationMs: number | null;
  /** Requests before the measured ones (same model), measured but left out of the statistics. */
  warmup: number;
  /** Open model: a request due while this many are in flight is not sent but counted as `dropped`. */
  maxInFlight: number;
  /** The Agent's socket cap. */
  connections: number;
}

/** What a progress display needs; emitted as `tick` (4 a second) and `done`. */
export interface LoadProgress {
  phase: 'warmup' | 'measure';
  elapsedMs: number;
  /** Finished requests of this phase (dropped ones included), and the planned count (null with -d). */
  done: number;
  total: number | null;
  durationMs: number | null;
  inFlight: number;
  /** Failed requests of this phase, dropped ones apart. */
  errors: number;
  dropped: number;
  /** Finished requests a second over the last RATE_WINDOW_MS (a single tick flapped 0 ↔ 4 on 1 s streams). */
  ratePerS: number;
  /** Time left: the schedule's in the open model, else at the windowed rate; null when unknown. */
  etaMs: number | null;
}

export interface LoadRunResult {
  /** Wall time, CPU and loop delay of the measured phase. */
  startedAt: Date;
  wallMs: number;
  cpuUs: number;
  loopDelay: Histogram;
  connections: ConnectionStats;
  interrupted: boolean;
}

export interface LoadRunnerEvents {
  start: [LoadPlan];
  tick: [LoadProgress];
  done: [LoadProgress];
}

const TICK_MS = 250;
/** The progress rate is measured over this window (issue 32). */
const RATE_WINDOW_MS = 5000;

/**
 * Runs a load plan against one endpoint and hands every record to `onRecord` as it finishes (the
 * caller summarises and drops it: memory stays bounded). Emits `start`, `tick`, `done` and never
 * prints; a progress line is a listener (autocannon's run/progress split).
 *
 * Every time in a record counts from the request's intended start. Closed model: the intended
 * start is when a stream slot frees up, which is when it is sent. Open model: the schedule says
 * when, independent of responses, so a request the client could only send late (or not at all)
 * still counts from when it was due (wrk2's answer to coordinated omission); `startUs` keeps how
 * late it was sent, which is what the `service_…` metrics take off.
 */
export class LoadRunner extends EventEmitter<LoadRunnerEvents> {
  private readonly client: LoadClient | WsStreamClient;
  private readonly names: FieldNamer;
  private stopped = false;
  private wake: (() => void) | null = null;
  private progress: LoadProgress = { phase: 'measure', elapsedMs: 0, done: 0, total: null, durationMs: null, inFlight: 0, errors: 0, dropped: 0, ratePerS: 0, etaMs: null };
  private phaseStart = 0;
  private droppedMessage: string | undefined;
  private index = 0;

  constructor(
    spec: RequestSpec,
    private readonly plan: LoadPlan,
    private readonly onRecord: (record: StreamRecord) => void,
  ) {
    super();
    // ws:// and wss://: operations on up to `connections` sockets to serve's GET /ws, the same records.
    this.client = isWebSocketUrl(spec.url) ? new WsStreamClient(spec, plan.connections) : new LoadClient(spec, plan.connections);
    this.names = spec.names ?? byFieldName;
  }

  async run(signal?: AbortSignal): Promise<LoadRunResult> {
    const sampler = new LoopDelaySampler();
    const onAbort = () => {
      this.stopped = true;
      this.client.abortAll();
      this.wake?.();
    };
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted === true) onAbort();
    // (time, done) of recent ticks: the rate is taken over RATE_WINDOW_MS, not one tick.
    let window: Array<{ at: number; done: number }> = [];
    let phase: LoadProgress['phase'] | null = null;
    const ticker = setInterval(() => {
      const p = this.snapshot();
      if (p.phase !== phase) {
        phase = p.phase;
        window = [{ at: this.phaseStart, done: 0 }];
      }
      const now = performance.now();
      window.push({ at: now, done: p.done });
      while (window.length > 2 && now - window[1]!.at >= RATE_WINDOW_MS) window.shift();
      const oldest = window[0]!;
      p.ratePerS = now > oldest.at ? ((p.done - oldest.done) * 1000) / (now - oldest.at) : 0;
      p.etaMs = this.eta(p);
      this.emit('tick', p);
    }, TICK_MS);
    ticker.unref();
    this.emit('start', this.plan);
    sampler.start();
    try {
      if (this.plan.warmup > 0) await this.phase('warmup', this.plan.warmup, null);
      const startedAt = new Date();
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      sampler.histogram.reset();
      await this.phase('measure', this.plan.requests, this.plan.durationMs);
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      this.emit('done', this.snapshot());
      return {
        startedAt,
        wallMs,
        cpuUs: cpu.user + cpu.system,
        loopDelay: sampler.histogram,
        connections: this.client.connectionStats,
        interrupted: signal?.aborted === true,
      };
    } finally {
      clearInterval(ticker);
      sampler.stop();
      signal?.removeEventListener('abort', onAbort);
      await this.client.close();
    }
  }

  /** -d: the time left; -n: the open model's schedule, or the closed model's windowed rate. */
  private eta(p: LoadProgress): number | null {
    if (p.durationMs !== null) return Math.max(0, p.durationMs - p.elapsedMs);
    if (p.total === null) return null;
    const left = Math.max(0, p.total - p.done);
    if (this.plan.model === 'open' && this.plan.rate > 0) return Math.max(0, (p.total / this.plan.rate) * 1000 - p.elapsedMs);
    return p.ratePerS > 0 ? (left / p.ratePerS) * 1000 : null;
  }

  private snapshot(): LoadProgress {
    return { ...this.progress, elapsedMs: performance.now() - this.phaseStart, inFlight: this.client.inFlightCount };
  }

  private phase(phase: LoadProgress['phase'], requests: number | null, durationMs: number | null): Promise<void> {
    this.phaseStart = performance.now();
    this.progress = { phase, elapsedMs: 0, done: 0, total: requests, durationMs, inFlight: 0, errors: 0, dropped: 0, ratePerS: 0, etaMs: null };
    const warmup = phase === 'warmup';
    return this.plan.model === 'closed' ? this.closed(warmup, requests, durationMs) : this.open(warmup, requests, durationMs);
  }

  private finished(record: StreamRecord): void {
    this.progress.done++;
    if (record.error?.kind === 'dropped') this.progress.dropped++;
    else if (record.error !== null) this.progress.errors++;
    this.onRecord(record);
  }

  /** `concurrency` loops, each sending its next request when its last one ended. */
  private async closed(warmup: boolean, requests: number | null, durationMs: number | null): Promise<void> {
    const end = durationMs === null ? Infinity : this.phaseStart + durationMs;
    let issued = 0;
    const more = () => !this.stopped && (requests === null ? performance.now() < end : issued < requests);
    const worker = async () => {
      while (more()) {
        issued++;
        this.finished(await this.client.request(this.index++, warmup, performance.now()));
      }
    };
    await Promise.all(Array.from({ length: this.plan.concurrency }, worker));
  }

  /** Requests at their scheduled times, whatever the responses do; over the in-flight cap, `dropped`. */
  private async open(warmup: boolean, requests: number | null, durationMs: number | null): Promise<void> {
    const next = arrivalSchedule(this.plan.rate, this.plan.arrival);
    // Requests sent and not yet finished, and a wake-up for when the last one finishes (a counter:
    // a Set of promises with an add and a delete per request kept them alive through scavenges,
    // see model/indexed-set.ts).
    let pending = 0;
    let allDone: (() => void) | null = null;
    let failure: unknown = null;
    const t0 = this.phaseStart;
    let sentWithoutYield = 0;
    for (let i = 0; !this.stopped; i++) {
      if (requests !== null && i >= requests) break;
      const offset = next();
      if (durationMs !== null && offset >= durationMs) break;
      const at = t0 + offset;
      await this.until(at);
      if (this.stopped) break;
      const index = this.index++;
      if (this.client.inFlightCount >= this.plan.maxInFlight) {
        this.finished(droppedRecord(index, warmup, at, (this.droppedMessage ??= droppedMessage(this.plan.maxInFlight, this.names))));
      } else {
        pending++;
        void this.client.request(index, warmup, at).then((r) => {
          try {
            this.finished(r);
          } catch (err) {
            failure ??= err;
          }
          if (--pending === 0) allDone?.();
        });
      }
      // Catching up after a stall sends what was due at once, but lets I/O run now and then.
      if (++sentWithoutYield >= 64) {
        sentWithoutYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    if (pending > 0) await new Promise<void>((resolve) => (allDone = resolve));
    if (failure !== null) throw failure;
  }

  /** Waits until `performance.now() >= at`: a timer to within a millisecond, then turns of the loop. */
  private async until(at: number): Promise<void> {
    for (;;) {
      const wait = at - performance.now();
      if (wait <= 0 || this.stopped) return;
      let timer: NodeJS.Timeout | null = null;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        if (wait > 2) timer = setTimeout(resolve, wait - 1);
        else setImmediate(resolve);
      });
      if (timer !== null) clearTimeout(timer);
      this.wake = null;
    }
  }
}

/** Why a request was dropped: the same words for every one, rendered once (drops come in floods). */
function droppedMessage(maxInFlight: number, names: FieldNamer): string {
  return renderFieldText(ft`not sent: ${maxInFlight} requests were in flight (${field('maxInFlight')})`, names);
}

/** A request the open model could not send: due while `maxInFlight` were in flight. */
function droppedRecord(index: number, warmup: boolean, originMs: number, message: string): StreamRecord {
  return blankRecord(index, warmup, originMs, {
    startUs: Math.round((performance.now() - originMs) * 1000),
    reusedConnection: false,
    error: { kind: 'dropped', message },
  });
}
