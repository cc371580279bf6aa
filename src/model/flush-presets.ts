/**
 * The flush policies of docs/protocol.md ("Flush policies") as data. The server's policy module runs
 * them; `compare` prints their settings as the first rows of the guide's table.
 */
export const FLUSH_POLICY_NAMES = ['guide-before', 'guide-after', 'adaptive', 'custom'] as const;
export type FlushPolicyName = (typeof FLUSH_POLICY_NAMES)[number];

export interface FlushSettings {
  policy: FlushPolicyName;
  /** `buffered`: text coalesces by size and time; `adaptive`: every payload is an event at once. */
  mode: 'buffered' | 'adaptive';
  /** Release when the buffer holds at least this many code points. */
  bufferChars: number;
  /** ... or when this long has passed since the last release ... */
  flushIntervalMs: number;
  /** ... and the buffer holds at least this many code points. */
  minChars: number;
  /** After each release the writer waits this long (the guide's `asyncio.sleep(0.01)`). */
  releaseWaitMs: number;
  /** The kernel source sleeps this long between polls when no message is ready (0: event-driven). */
  kernelWaitMs: number;
  /** Send the streaming headers (else the guide's old `text/plain`). */
  streamingHeaders: boolean;
}

/** The guide's "before": 50 chars, or 100 ms and 40 chars; a 10 ms sleep after each release. */
export const GUIDE_BEFORE: Readonly<FlushSettings> = {
  policy: 'guide-before',
  mode: 'buffered',
  bufferChars: 50,
  flushIntervalMs: 100,
  minChars: 40,
  releaseWaitMs: 10,
  kernelWaitMs: 1000,
  streamingHeaders: false,
};

/** The guide's "after": 20 chars, or 50 ms and 15 chars; no sleep; the streaming headers. */
export const GUIDE_AFTER: Readonly<FlushSettings> = {
  policy: 'guide-after',
  mode: 'buffered',
  bufferChars: 20,
  flushIntervalMs: 50,
  minChars: 15,
  releaseWaitMs: 0,
  kernelWaitMs: 100,
  streamingHeaders: true,
};

/** Ours: no timer, no threshold; batching only by event-loop turn and socket backpressure. */
export const ADAPTIVE: Readonly<FlushSettings> = {
  policy: 'adaptive',
  mode: 'adaptive',
  bufferChars: 0,
  flushIntervalMs: 0,
  minChars: 0,
  releaseWaitMs: 0,
  kernelWaitMs: 0,
  streamingHeaders: true,
};

export interface CustomFlushOverrides {
  bufferChars?: number;
  flushIntervalMs?: number;
  minChars?: number;
  releaseWaitMs?: number;
  kernelWaitMs?: number;
  plainHeaders?: boolean;
}

/** `custom` starts from guide-after's values and applies the overrides. */
export function customSettings(o: CustomFlushOverrides = {}): FlushSettings {
  return {
    ...GUIDE_AFTER,
    policy: 'custom',
    bufferChars: o.bufferChars ?? GUIDE_AFTER.bufferChars,
    flushIntervalMs: o.flushIntervalMs ?? GUIDE_AFTER.flushIntervalMs,
    minChars: o.minChars ?? GUIDE_AFTER.minChars,
    releaseWaitMs: o.releaseWaitMs ?? GUIDE_AFTER.releaseWaitMs,
    kernelWaitMs: o.kernelWaitMs ?? GUIDE_AFTER.kernelWaitMs,
    streamingHeaders: !(o.plainHeaders ?? false),
  };
}

export function isFlushPolicyName(name: string): name is FlushPolicyName {
  return (FLUSH_POLICY_NAMES as readonly string[]).includes(name);
}

/** Settings of a named policy; `custom` takes the overrides (others ignore them). */
export function flushSettings(name: FlushPolicyName, custom?: CustomFlushOverrides): FlushSettings {
  switch (name) {
    case 'guide-before':
      return { ...GUIDE_BEFORE };
    case 'guide-after':
      return { ...GUIDE_AFTER };
    case 'adaptive':
      return { ...ADAPTIVE };
    case 'custom':
      return customSettings(custom);
  }
}
