import type { FlushSettings } from '../model/flush-presets.js';
import { PLAIN_HEADERS, STREAMING_HEADERS, NDJSON_CONTENT_TYPE, type DoneStats, type DoneStatus } from '../model/protocol.js';
import { monoNow, wireTime, type MonoMs } from './clock.js';
import { encodeLargeText, encodePayload, encodeRaw, heartbeat, type WireFormat } from './event-encoder.js';
import { FlushPolicy, type Release } from './flush-policy.js';
import type { ErrorPayload, Payload, ResultPayload } from './source.js';

/** An adaptive batch this large (UTF-16 units) is written at once instead of at the end of the turn. */
const PENDING_FLUSH_CHARS = 64 * 1024;

/** A text event this large (UTF-16 units) alone in its write goes out as shared parts (encodeLargeText). */
const LARGE_TEXT_CHARS = 64 * 1024;

/** What the writer needs of a response: node:http's ServerResponse and http2's compat response. */
export interface RawResponse {
  writeHead(status: number, headers: Record<string, string>): unknown;
  flushHeaders(): void;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string): unknown;
  cork?(): void;
  uncork?(): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  removeListener(event: 'drain' | 'close', listener: () => void): unknown;
  readonly writableEnded: boolean;
  readonly writableLength?: number;
  readonly destroyed?: boolean;
}

export interface StreamWriterOptions {
  format: WireFormat;
  settings: Readonly<FlushSettings>;
  /** Monotonic ms when the request arrived: `server_first_chunk_ms` counts from here. */
  requestStart: MonoMs;
  /** 0 disables heartbeats. */
  heartbeatMs: number;
  /** Headers set before the stream started (CORS), sent with the streaming headers. */
  extraHeaders?: Record<string, string>;
  /**
   * WebSocket (format `ws`): how every event's JSON object starts, `{"id":…,` (ws-route.ts). Each
   * event is then its own write, so a message-framed sink sends one message per event.
   */
  messageOpen?: string;
  /** Called with each event's hold time (t − t_src, ms): the server's hold-time histogram. */
  onHold?: (ms: number) => void;
}

export interface StreamSummary {
  status: DoneStatus;
  reason: string | undefined;
  stats: DoneStats;
  /** Largest t − t_src of the stream (ms): how long our buffer held an event at most. */
  maxHoldMs: number;
}

/**
 * Owns one streaming response: asks the flush policy what to release and when, stamps and encodes
 * events, counts writes, sends heartbeats on idle, and tells the pump when the socket is backed up.
 * The policy never sees the socket; this never decides what to coalesce.
 */
export class StreamWriter {
  /** Its place in the server's set of open writers (server-state.ts). */
  setIndex = -1;
  private readonly res: RawResponse;
  private readonly opts: StreamWriterOptions;
  /**
   * The buffered policies' state machine; null for adaptive, which releases every payload as it
   * comes (flush-policy.ts) and needs no timer: its events skip the policy's per-event array and
   * deadline check (issue 31) and join the current callback's batch directly.
   */
  private readonly policy: FlushPolicy | null;
  /** One write per event (a WebSocket message each) instead of one per batch. */
  private readonly framed: boolean;
  private readonly open: string;
  private seq = 0;
  private events = 0;
  private bytes = 0;
  private writes = 0;
  private firstContentAt: MonoMs | null = null;
  private maxHoldMs = 0;
  private lastWriteAt: MonoMs;
  /** Adaptive mode: releases of the current callback's work, written together by one process.nextTick. */
  private pending: Release[] = [];
  /** Rough size of `pending` (text payloads only) to bound it when a source never yields the loop. */
  private pendingChars = 0;
  private flushScheduled = false;
  private needDrain = false;
  private policyTimer: NodeJS.Timeout | null = null;
  private policyDeadline: MonoMs | null = null;
  private hbTimer: NodeJS.Timeout | null = null;
  private result: ResultPayload | null = null;
  private sawError = false;
  private finished = false;
  private drainWaiters: Array<() => void> = [];

  constructor(res: RawResponse, opts: StreamWriterOptions) {
    this.res = res;
    this.opts = opts;
    this.policy = opts.settings.mode === 'adaptive' ? null : new FlushPolicy(opts.settings, monoNow());
    this.framed = opts.format === 'ws';
    this.open = opts.messageOpen ?? '{';
    this.lastWriteAt = monoNow();
  }

  /** Sends the status line and headers before any event (proxies and browsers see them at once). */
  start(): void {
    const headers: Record<string, string> = {
      ...this.opts.extraHeaders,
      ...(this.opts.settings.streamingHeaders ? STREAMING_HEADERS : PLAIN_HEADERS),
    };
    if (this.opts.format === 'ndjson') headers['content-type'] = NDJSON_CONTENT_TYPE;
    this.res.writeHead(200, headers);
    this.res.flushHeaders();
    this.lastWriteAt = monoNow();
    if (this.opts.heartbeatMs > 0) this.armHeartbeat(this.opts.heartbeatMs);
  }

  /** Bytes written but not yet handed to the kernel, plus the adaptive batch not yet written. */
  get bufferedBytes(): number {
    return (this.res.writableLength ?? 0) + this.pendingChars;
  }

  /** True while the socket has not drained: the pump stops pulling from the source. */
  get backedUp(): boolean {
    return this.needDrain;
  }

  /** Resolves when the socket drains (or the stream ends). */
  waitForDrain(): Promise<void> {
    if (!this.needDrain || this.finished) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  push(payload: Payload): void {
    if (this.finished) return;
    if (payload.type === 'result') {
      this.result = payload;
      return;
    }
    if (payload.type === 'error') this.sawError = true;
    const now = monoNow();
    if (this.policy === null) {
      this.queue({ payload, srcAt: now });
      return;
    }
    this.emit(this.policy.push(payload, now, now));
    this.armPolicyTimer(this.policy);
  }

  /**
   * Writes what the policy still holds and `done`, in one write, and ends the response.
   * `status` overrides the source's own result (shutdown, timeout, aborted).
   */
  finish(override?: { status: DoneStatus; reason?: string; error?: ErrorPayload }): StreamSummary {
    const status: DoneStatus = override?.status ?? this.result?.status ?? (this.sawError ? 'error' : 'ok');
    const reason = override?.reason ?? this.result?.reason;
    if (!this.finished) {
      this.finished = true;
      this.clearTimers();
      const now = monoNow();
      const tail = this.pending;
      this.pending = [];
      this.pendingChars = 0;
      if (this.policy !== null) for (const r of this.policy.end(now)) tail.push(r);
      if (override?.error !== undefined) {
        this.sawError = true;
        tail.push({ payload: override.error, srcAt: now });
      }
      if (this.framed && !this.res.writableEnded && this.res.destroyed !== true) {
        for (const r of tail) this.write(this.encode([r], now));
        this.writes++;
        this.res.end(this.encodeDone(status, reason, now));
      } else if (!this.res.writableEnded && this.res.destroyed !== true) {
        let body = tail.length > 0 ? this.encode(tail, now) : '';
        this.bytes += Buffer.byteLength(body);
        this.writes++;
        body += this.encodeDone(status, reason, now);
        this.res.end(body);
      }
      this.releaseDrainWaiters();
    }
    return {
      status,
      reason,
      stats: this.stats(),
      maxHoldMs: this.maxHoldMs,
    };
  }

  /** Stops timers without writing: the client is gone. */
  abandon(): void {
    this.finished = true;
    this.clearTimers();
    this.pending = [];
    this.pendingChars = 0;
    this.releaseDrainWaiters();
  }

  stats(): DoneStats {
    return {
      events: this.events,
      bytes: this.bytes,
      writes: this.writes,
      server_first_chunk_ms:
        this.firstContentAt === null ? null : Math.round((this.firstContentAt - this.opts.requestStart) * 1000) / 1000,
    };
  }

  private emit(releases: Release[]): void {
    // Buffered policies release already-coalesced text: one write per release, as the guide's
    // generator yields once per release.
    for (const r of releases) if (!this.writeLarge([r])) this.write(this.encode([r], monoNow()));
  }

  /** Adaptive: one release joins the batch of the callback running now. */
  private queue(r: Release): void {
    this.pending.push(r);
    const text = (r.payload as { text?: string }).text;
    this.pendingChars += text === undefined ? 256 : text.length;
    // A source that produces without ever yielding the event loop (interval 0) would grow the
    // batch without bound before the flush runs: write it now, and let backpressure stop the pump.
    if (this.pendingChars >= PENDING_FLUSH_CHARS && !this.needDrain) {
      this.flushPending();
      return;
    }
    // Everything released by the callback running now, with the promise reactions it set off (the
    // source's next payloads, its end and `done`), or while the socket is backed up, goes out in
    // one write. process.nextTick runs once they settle, before Node moves on to the next timer or
    // I/O callback (issue 31: setImmediate waited for the whole turn, so with 100 streams firing
    // in one turn each event waited for the others' work: 3.5 ms p99 hold). No timer.
    if (!this.flushScheduled && !this.needDrain) this.scheduleFlush();
  }

  private readonly flushPending = (): void => {
    this.flushScheduled = false;
    if (this.finished || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingChars = 0;
    if (this.framed) {
      // WebSocket: one message per event.
      const now = monoNow();
      for (const r of batch) this.write(this.encode([r], now));
    } else if (!this.writeLarge(batch)) this.write(this.encode(batch, monoNow()));
  };

  private scheduleFlush(): void {
    this.flushScheduled = true;
    process.nextTick(this.flushPending);
  }

  /**
   * A batch of one large text event: written as framing + shared JSON Buffer + framing, corked into
   * one write, so a queue of unread events holds a reference, not a copy. False: not such a batch.
   */
  private writeLarge(batch: Release[]): boolean {
    const r = batch[0];
    // WebSocket sends each event as one text message: no split writes.
    if (this.framed || batch.length !== 1 || r === undefined || this.res.writableEnded) return false;
    const p = r.payload;
    if ((p.type !== 'chunk' && p.type !== 'stdout' && p.type !== 'stderr') || p.text.length < LARGE_TEXT_CHARS) return false;
    const now = monoNow();
    const hold = now - r.srcAt;
    if (hold > this.maxHoldMs) this.maxHoldMs = hold;
    this.opts.onHold?.(hold);
    if (this.firstContentAt === null) this.firstContentAt = now;
    const [head, json, tail] = encodeLargeText(this.opts.format, p.type, p.text, this.seq++, wireTime(now), wireTime(r.srcAt));
    this.events++;
    this.writes++;
    this.bytes += Buffer.byteLength(head) + json.length + tail.length;
    this.lastWriteAt = now;
    this.res.cork?.();
    this.res.write(head);
    this.res.write(json);
    const ok = this.res.write(tail);
    this.res.uncork?.();
    if (!ok) {
      this.needDrain = true;
      this.res.once('drain', this.onDrain);
    }
    return true;
  }

  private encode(batch: Release[], now: MonoMs): string {
    const t = wireTime(now);
    let out = '';
    for (const r of batch) {
      const p = r.payload;
      if (p.type === 'result') continue;
      const hold = now - r.srcAt;
      if (hold > this.maxHoldMs) this.maxHoldMs = hold;
      this.opts.onHold?.(hold);
      if (this.firstContentAt === null && p.type !== 'error') this.firstContentAt = now;
      out += encodePayload(this.opts.format, p, this.seq++, t, wireTime(r.srcAt), this.open);
      this.events++;
    }
    return out;
  }

  private encodeDone(status: DoneStatus, reason: string | undefined, now: MonoMs): string {
    const r = this.result;
    const t = wireTime(now);
    const fields: Record<string, unknown> = { status };
    if (reason !== undefined) fields['reason'] = reason;
    if (r?.execution_count !== undefined) fields['execution_count'] = r.execution_count;
    if (r?.usage !== undefined) fields['usage'] = r.usage;
    if (r?.finish_reason !== undefined) fields['finish_reason'] = r.finish_reason;
    fields['stats'] = this.stats();
    const json = JSON.stringify(fields);
    return encodeRaw(this.opts.format, 'done', this.seq++, t, t, `,${json.slice(1, -1)}`, this.open);
  }

  private write(chunk: string): void {
    if (chunk === '' || this.res.writableEnded) return;
    this.writes++;
    this.bytes += Buffer.byteLength(chunk);
    this.lastWriteAt = monoNow();
    if (!this.res.write(chunk)) {
      this.needDrain = true;
      this.res.once('drain', this.onDrain);
    }
  }

  private readonly onDrain = (): void => {
    this.needDrain = false;
    if (this.pending.length > 0 && !this.flushScheduled) this.scheduleFlush();
    this.releaseDrainWaiters();
  };

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** One timer per stream, re-armed only when the policy's deadline changes. */
  private armPolicyTimer(policy: FlushPolicy): void {
    const deadline = policy.deadline();
    if (deadline === this.policyDeadline) return;
    if (this.policyTimer !== null) clearTimeout(this.policyTimer);
    this.policyTimer = null;
    this.policyDeadline = deadline;
    if (deadline === null) return;
    this.policyTimer = setTimeout(this.onPolicyTimer, Math.max(0, deadline - monoNow()));
  }

  private readonly onPolicyTimer = (): void => {
    this.policyTimer = null;
    this.policyDeadline = null;
    // Armed only by a buffered policy (push), so there is one.
    const policy = this.policy!;
    if (this.finished) return;
    this.emit(policy.timer(monoNow()));
    this.armPolicyTimer(policy);
  };

  /** Fires once per period and re-arms for the rest of it: no per-write timer work. */
  private armHeartbeat(ms: number): void {
    this.hbTimer = setTimeout(this.onHeartbeat, ms);
  }

  private readonly onHeartbeat = (): void => {
    this.hbTimer = null;
    if (this.finished) return;
    const period = this.opts.heartbeatMs;
    const idle = monoNow() - this.lastWriteAt;
    if (idle >= period - 1) {
      if (!this.res.writableEnded && !this.needDrain) this.res.write(heartbeat(this.opts.format));
      this.lastWriteAt = monoNow();
      this.armHeartbeat(period);
    } else {
      this.armHeartbeat(period - idle);
    }
  };

  private clearTimers(): void {
    if (this.policyTimer !== null) clearTimeout(this.policyTimer);
    if (this.hbTimer !== null) clearTimeout(this.hbTimer);
    this.flushScheduled = false;
    this.policyTimer = null;
    this.hbTimer = null;
    this.policyDeadline = null;
  }
}
