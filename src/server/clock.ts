/**
 * The server clock of the wire format: `performance.timeOrigin + performance.now()` in ms
 * (docs/protocol.md, `t` and `t_src`). Monotonic within the process, comparable to wall time.
 */
const origin = performance.timeOrigin;

/** Monotonic ms since process start: what policies and timers compute with. */
export type MonoMs = number;

export function monoNow(): MonoMs {
  return performance.now();
}

/** A monotonic reading as a wire timestamp, rounded to 3 decimals (µs). */
export function wireTime(mono: MonoMs): number {
  return Math.round((origin + mono) * 1000) / 1000;
}
