import type { Payload } from '../source.js';

let pendingTimers = 0;

/** Timers the sources hold right now: tests read it to prove a disconnect stops a source. */
export function pendingSourceTimers(): number {
  return pendingTimers;
}

/**
 * Sleeps of one stream, cancelled together when its signal aborts. One abort listener for the
 * whole stream, not one per sleep: adding and removing EventTarget listeners per token showed in
 * the server's CPU profile.
 */
class Sleeper {
  private timer: NodeJS.Timeout | null = null;
  private wake: ((slept: boolean) => void) | null = null;
  private readonly signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.signal = signal;
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Calls `wake(true)` after `ms`, or `wake(false)` when the signal aborts first. */
  after(ms: number, wake: (slept: boolean) => void): void {
    if (this.signal.aborted) {
      wake(false);
      return;
    }
    pendingTimers++;
    this.wake = wake;
    this.timer = setTimeout(this.onTimer, ms);
  }

  /** The stream ended normally: drop the abort listener. */
  dispose(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.onAbort();
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    pendingTimers--;
    const wake = this.wake;
    this.wake = null;
    wake?.(true);
  };

  private readonly onAbort = (): void => {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    pendingTimers--;
    const wake = this.wake;
    this.wake = null;
    wake?.(false);
  };
}

/** A payload due `atMs` after the stream opened (−Infinity: at once). */
export interface TimedPayload {
  atMs: number;
  payload: Payload;
}

/**
 * The payloads `schedule(0)`, `schedule(1)`, … (null ends) at their times, as an AsyncIterable
 * without an async generator: one promise and at most one timer per payload (issue 31: a generator
 * with `await sleep()` and `yield` cost several promises per token). Due times are absolute, so
 * timer drift does not accumulate; the stream's signal ends it at once and clears its timer.
 */
export function timedPayloads(schedule: (i: number) => TimedPayload | null, signal: AbortSignal): AsyncIterable<Payload> {
  return { [Symbol.asyncIterator]: () => new TimedIterator(schedule, signal) };
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

class TimedIterator implements AsyncIterator<Payload, undefined> {
  private i = 0;
  private ended = false;
  private readonly start = performance.now();
  private readonly sleeper: Sleeper;

  constructor(
    private readonly schedule: (i: number) => TimedPayload | null,
    private readonly signal: AbortSignal,
  ) {
    this.sleeper = new Sleeper(signal);
  }

  next(): Promise<IteratorResult<Payload, undefined>> {
    if (this.ended) return Promise.resolve(DONE);
    const item = this.signal.aborted ? null : this.schedule(this.i++);
    if (item === null) return Promise.resolve(this.end());
    const wait = this.start + item.atMs - performance.now();
    if (!(wait >= 1)) return Promise.resolve({ value: item.payload, done: false });
    return new Promise((resolve) => {
      this.sleeper.after(wait, (slept) => resolve(slept && !this.ended ? { value: item.payload, done: false } : this.end()));
    });
  }

  /** The consumer stopped early (break, throw): drop the timer and the abort listener. */
  return(): Promise<IteratorResult<Payload, undefined>> {
    return Promise.resolve(this.end());
  }

  private end(): IteratorReturnResult<undefined> {
    if (!this.ended) {
      this.ended = true;
      this.sleeper.dispose();
    }
    return DONE;
  }
}
