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
export class Sleeper {
  private timer: NodeJS.Timeout | null = null;
  private wake: ((slept: boolean) => void) | null = null;
  private readonly signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.signal = signal;
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Resolves true after `ms`, or false at once when the signal aborts (the timer is cleared). */
  sleep(ms: number): Promise<boolean> {
    if (this.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      pendingTimers++;
      this.wake = resolve;
      this.timer = setTimeout(this.onTimer, ms);
    });
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
