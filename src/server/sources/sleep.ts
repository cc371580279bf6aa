let pendingTimers = 0;

/** Timers the sources hold right now: tests read it to prove a disconnect stops a source. */
export function pendingSourceTimers(): number {
  return pendingTimers;
}

/**
 * Resolves true after `ms`, or false at once when the signal aborts; the timer is cleared either
 * way, so a cancelled stream leaves nothing scheduled.
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    pendingTimers++;
    const onAbort = () => {
      clearTimeout(timer);
      pendingTimers--;
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      pendingTimers--;
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
