/**
 * When is a change a change? Each configuration ran in several interleaved rounds, so machine noise
 * hit every configuration alike; a change is called significant only when the ranges of the
 * per-round values do not overlap (every round of one side beats every round of the other).
 *
 * For two configurations with no real difference, and rounds whose order is rotated, the per-round
 * values are exchangeable: the chance that R rounds of one all land on one side of R rounds of the
 * other is 2 / C(2R, R): 10 % at R = 3, 2.9 % at R = 4, 0.8 % at R = 5, 0.001 % at R = 10. A
 * table of ten rows judged at R = 3 calls about one change significant that is not (issue 32: an
 * endpoint against itself read "+5.0 % significant (worse)" in one of two runs). So the rule is
 * applied only from MIN_ROUNDS on, where a row's false-positive rate is at most 1 %; below it no
 * change is called significant, and the table says how many rounds it needs.
 */
export const MIN_ROUNDS = 5;

/** The chance that a and b exchangeable per-round values fall apart by luck alone: 2 / C(a + b, a). */
export function falsePositiveRate(a: number, b: number): number {
  let c = 1;
  for (let i = 1; i <= Math.min(a, b); i++) c = (c * (a + b - Math.min(a, b) + i)) / i;
  return Math.min(1, 2 / c);
}

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
