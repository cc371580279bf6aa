import type { FlushSettings } from '../model/flush-presets.js';
import type { TextEventName } from '../model/protocol.js';
import type { MonoMs } from './clock.js';
import type { Payload } from './source.js';

/**
 * The flush policy as a pure state machine (docs/protocol.md, "Flush policies"): payloads and the time
 * go in, releases come out. It owns no timer and no socket; the stream writer asks `deadline()`
 * when to call `timer()`, and writes what comes out. Unit-tested on a fake clock.
 *
 * Buffered mode reproduces the guide's backend: consecutive text of one event type accumulates; it
 * is released when the buffer holds ≥ `bufferChars` code points, or when ≥ `flushIntervalMs` passed
 * since the last release and it holds ≥ `minChars` (checked on every payload and by one timer);
 * it is flushed before any non-text payload and at the end. After each release the writer sleeps
 * `releaseWaitMs` (the guide's `asyncio.sleep(0.01)`): everything that arrives meanwhile queues.
 *
 * Adaptive mode releases every payload at once; the writer batches what one callback (and the
 * promise reactions it set off) produced into one write.
 */

/** One event to write: a payload and when the oldest part of it was produced. */
export interface Release {
  payload: Payload;
  /** Monotonic ms when the source produced the oldest payload this event carries. */
  srcAt: MonoMs;
}

interface Queued {
  payload: Payload;
  srcAt: MonoMs;
}

/** Code points, not UTF-16 units: the guide's Python `len()` counts code points. */
export function codePointLength(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function isText(p: Payload): p is Payload & { type: TextEventName; text: string } {
  return p.type === 'chunk' || p.type === 'stdout' || p.type === 'stderr';
}

export class FlushPolicy {
  readonly settings: Readonly<FlushSettings>;
  private readonly buffered: boolean;
  /** Text buffer: its parts, type, code points and the production time of its oldest part. */
  private parts: string[] = [];
  private bufType: TextEventName | null = null;
  private bufChars = 0;
  private bufSrcAt = 0;
  private lastRelease: MonoMs;
  private pausedUntil: MonoMs = -Infinity;
  private queue: Queued[] = [];

  constructor(settings: Readonly<FlushSettings>, start: MonoMs) {
    this.settings = settings;
    this.buffered = settings.mode === 'buffered';
    // The guide's `last_flush` starts when the generator starts.
    this.lastRelease = start;
  }

  /** A payload produced at `now`. Returns the events to write now, in order. */
  push(payload: Payload, now: MonoMs, srcAt: MonoMs = now): Release[] {
    if (!this.buffered) return [{ payload, srcAt }];
    if (now < this.pausedUntil) {
      this.queue.push({ payload, srcAt });
      return [];
    }
    const out: Release[] = [];
    this.accept(payload, srcAt, now, out);
    return out;
  }

  /**
   * When `timer()` should next be called (monotonic ms), or null when no timer is needed. A pending
   * time-based release or the end of a release wait.
   */
  deadline(): MonoMs | null {
    if (!this.buffered) return null;
    if (this.pausedUntil !== -Infinity) return this.pausedUntil;
    if (this.bufChars > 0 && this.bufChars >= this.settings.minChars) {
      return this.lastRelease + this.settings.flushIntervalMs;
    }
    return null;
  }

  /** The timer fired at `now`: the wait may be over, or the time rule may release the buffer. */
  timer(now: MonoMs): Release[] {
    const out: Release[] = [];
    if (!this.buffered) return out;
    if (this.pausedUntil !== -Infinity) {
      if (now < this.pausedUntil) return out;
      this.pausedUntil = -Infinity;
      // Feed what queued during the wait, in order; a release inside pauses again.
      while (this.queue.length > 0 && this.pausedUntil === -Infinity) {
        const q = this.queue.shift() as Queued;
        this.accept(q.payload, q.srcAt, now, out);
      }
      if (this.pausedUntil !== -Infinity) return out;
    }
    if (this.timeRuleHolds(now)) this.release(now, out);
    return out;
  }

  /** The source ended (or the stream is closing): everything still held, in order. */
  end(now: MonoMs): Release[] {
    const out: Release[] = [];
    if (!this.buffered) return out;
    this.pausedUntil = -Infinity;
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) this.appendOrEmit(q.payload, q.srcAt, now, out, false);
    this.release(now, out, false);
    return out;
  }

  /** Payloads and text waiting in the policy (tests and the stall check read it). */
  get heldCount(): number {
    return this.queue.length + (this.bufChars > 0 ? 1 : 0);
  }

  private accept(payload: Payload, srcAt: MonoMs, now: MonoMs, out: Release[]): void {
    this.appendOrEmit(payload, srcAt, now, out, true);
    if (this.pausedUntil !== -Infinity || this.bufChars === 0) return;
    if (this.bufChars >= this.settings.bufferChars || this.timeRuleHolds(now)) this.release(now, out);
  }

  /** Text joins the buffer (flushing it first on a type change); anything else flushes it and goes out. */
  private appendOrEmit(payload: Payload, srcAt: MonoMs, now: MonoMs, out: Release[], pause: boolean): void {
    if (isText(payload)) {
      if (this.bufType !== null && this.bufType !== payload.type) this.release(now, out, pause);
      if (this.pausedUntil !== -Infinity && pause) {
        this.queue.push({ payload, srcAt });
        return;
      }
      if (this.bufChars === 0) {
        this.bufType = payload.type;
        this.bufSrcAt = srcAt;
      }
      this.parts.push(payload.text);
      this.bufChars += codePointLength(payload.text);
      return;
    }
    if (this.bufChars > 0) {
      this.release(now, out, pause);
      if (this.pausedUntil !== -Infinity && pause) {
        this.queue.push({ payload, srcAt });
        return;
      }
    }
    out.push({ payload, srcAt });
  }

  private timeRuleHolds(now: MonoMs): boolean {
    return (
      this.bufChars > 0 &&
      this.bufChars >= this.settings.minChars &&
      now - this.lastRelease >= this.settings.flushIntervalMs
    );
  }

  private release(now: MonoMs, out: Release[], pause = true): void {
    if (this.bufChars === 0 || this.bufType === null) return;
    const text = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('');
    out.push({ payload: { type: this.bufType, text }, srcAt: this.bufSrcAt });
    this.parts = [];
    this.bufChars = 0;
    this.bufType = null;
    this.lastRelease = now;
    if (pause && this.settings.releaseWaitMs > 0) this.pausedUntil = now + this.settings.releaseWaitMs;
  }
}
