import { fmtNum } from './format.js';

/** Maps a data domain onto a pixel range, linearly or by log10. */
export interface Scale {
  lo: number;
  hi: number;
  log: boolean;
  /** Pixel positions of lo and hi (hi may be smaller: the y axis grows upwards). */
  from: number;
  to: number;
}

export function scaleOf(lo: number, hi: number, log: boolean, from: number, to: number): Scale {
  return { lo, hi: hi > lo ? hi : log ? lo * 10 : lo + 1, log, from, to };
}

export function place(s: Scale, v: number): number {
  const f = s.log
    ? (Math.log10(Math.max(v, s.lo)) - Math.log10(s.lo)) / (Math.log10(s.hi) - Math.log10(s.lo))
    : (v - s.lo) / (s.hi - s.lo);
  return s.from + f * (s.to - s.from);
}

/** The smallest positive latency we place on a log axis: 1 µs, the histograms' resolution. */
export const LOG_FLOOR_MS = 0.001;

/** Round values within a decade that a log axis may start or end at, and tick. */
const NICE = [1, 1.5, 2, 3, 5, 7] as const;

/** The nice value at or below (`down`) or at or above `v`. */
function niceBound(v: number, down: boolean): number {
  const d = 10 ** Math.floor(Math.log10(v));
  const candidates = [...NICE.map((m) => m * d), 10 * d];
  const pick = down ? candidates.filter((c) => c <= v * 1.0000001).at(-1)! : candidates.find((c) => c >= v * 0.9999999)!;
  return Number(pick.toPrecision(6));
}

/**
 * A log domain around [min, max] (min clamped to 1 µs) bounded by nice values (1, 1.5, 2, 3, 5, 7
 * of a decade), not whole decades: data at 180–210 ms spans 150–300, not 100–1000 (issue 32).
 */
export function logDomain(min: number, max: number): [number, number] {
  const lo = niceBound(Math.max(min, LOG_FLOOR_MS), true);
  let hi = niceBound(Math.max(max, LOG_FLOOR_MS), false);
  if (hi <= lo) hi = niceBound(lo * 1.5, false);
  return [lo, hi];
}

/** Ticks at nice values: every one of NICE within a decade, 1-2-5 over a few, 1 over many. */
export function logTicks(lo: number, hi: number): number[] {
  const decades = Math.log10(hi / lo);
  const steps: readonly number[] = decades > 3 ? [1] : decades > 1.2 ? [1, 2, 5] : NICE;
  const out: number[] = [];
  for (let d = 10 ** Math.floor(Math.log10(lo)); d <= hi * 1.0001; d *= 10) {
    for (const m of steps) {
      const v = Number((d * m).toPrecision(6));
      if (v >= lo * 0.9999 && v <= hi * 1.0001) out.push(v);
    }
  }
  return out;
}

/** About `n` round linear ticks covering [lo, hi]; returns the ticks and the rounded domain. */
export function linearTicks(lo: number, hi: number, n = 5, integer = false): { ticks: number[]; lo: number; hi: number } {
  const span = hi - lo || Math.abs(hi) || 1;
  // Counts never get a tick at 0.5.
  const raw = integer ? Math.max(1, span / n) : span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const steps = integer && mag < 10 ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  const step = steps.map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const a = Math.floor(lo / step) * step;
  const b = Math.ceil(hi / step) * step || step;
  const ticks: number[] = [];
  for (let v = a; v <= b + step / 1e6; v += step) ticks.push(Number(v.toPrecision(12)));
  return { ticks, lo: a, hi: b };
}

/** Tick labels: ms axes get ms formatting, count axes plain numbers. */
export function tickLabel(v: number, unit: 'ms' | 'count' | 'fraction'): string {
  if (unit === 'fraction') return `${Math.round(v * 100)}%`;
  // Ticks are round numbers: print them as short as they are (0.5, 2, 1000), not to a fixed width.
  return unit === 'ms' || unit === 'count' ? String(Number(v.toPrecision(4))) : fmtNum(v);
}
