import { appendFileSync } from 'node:fs';

/**
 * One goal of issue 31 as a benchmark measured it: today's figure, the baseline measured in the
 * same run, their ratio, and whether the goal is met. bench/run-all.ts collects every script's
 * goals (through BENCH_GOALS_FILE, one JSON line each) into the one summary table it ends with.
 */
export interface GoalRow {
  goal: string;
  /** What was measured, e.g. "requests/s" or "ms wall". */
  unit: string;
  figure: number;
  baseline: number;
  baseline_name: string;
  ratio: number;
  /** e.g. "≥ 1.0×" or "≤ 1 ms". */
  target: string;
  met: boolean;
  note?: string;
}

export function recordGoal(row: GoalRow): void {
  const file = process.env['BENCH_GOALS_FILE'];
  if (file !== undefined && file !== '') appendFileSync(file, `${JSON.stringify(row)}\n`);
}

/** A goal "figure ÷ baseline ≥ min" (min 1: as fast as the baseline): its target and verdict. */
export function recordRatioGoal(row: Omit<GoalRow, 'target' | 'met'>, min = 1): void {
  recordGoal({ ...row, target: `≥ ${min.toFixed(1)}×`, met: row.ratio >= min });
}
