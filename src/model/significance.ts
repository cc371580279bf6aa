/**
 * When is a change a change? Each configuration ran in several interleaved rounds, so machine noise
 * hit every configuration alike; a change is called significant only when the ranges of the
 * per-round values do not overlap (every round of one side beats every round of the other).
 *
 * For two configurations with no real difference, and rounds whose order is rotated, the per-round
 * values are exchangeable: the chance that R rounds of one all land on one side of R rounds of the
 * other is 2 / C(2R, R) (0.8 % at R = 5, 0.001 % at R = 10). Below MIN_ROUNDS the rule is too
 * weak (one round each never overlaps) and no change is called significant.
 */
export const MIN_ROUNDS = 3;

export interface Range {
  min: number;
  max: number;
  /** How many per-round values it spans. */
  n: number;
}

export type Verdict =
  /** The ranges do not overlap; `direction` says which side is lower. */
  | { kind: 'significant'; direction: 'lower' | 'higher' }
  /** The ranges overlap. */
  | { kind: 'not_significant' }
  /** Fewer than MIN_ROUNDS values on a side (or none): significance is not judged. */
  | { kind: 'too_few_rounds'; rounds: number };

export function rangeOf(values: ReadonlyArray<number | null | undefined>): Range | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return null;
  return { min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** Compares `candidate`'s per-round values against `baseline`'s. */
export function judge(baseline: Range | null, candidate: Range | null): Verdict {
  const rounds = Math.min(baseline?.n ?? 0, candidate?.n ?? 0);
  if (baseline === null || candidate === null || rounds < MIN_ROUNDS) return { kind: 'too_few_rounds', rounds };
  if (candidate.max < baseline.min) return { kind: 'significant', direction: 'lower' };
  if (candidate.min > baseline.max) return { kind: 'significant', direction: 'higher' };
  return { kind: 'not_significant' };
}

/** (candidate − baseline) / baseline in %; 0 when both are 0; null when the baseline is 0 alone. */
export function changePct(baseline: number | null, candidate: number | null): number | null {
  if (baseline === null || candidate === null) return null;
  if (baseline === 0) return candidate === 0 ? 0 : null;
  return ((candidate - baseline) / Math.abs(baseline)) * 100;
}
