import { round3 } from './metric-stats.js';

/**
 * `error_rate`: failed requests over measured ones, leaving out those the user interrupted
 * (`aborted`): a Ctrl-C says nothing about the server, and must not fail an `error_rate` gate
 * (issue 32). `errors` is the configuration's count by kind (docs/metrics.md).
 */
export function errorRate(measured: number, failed: number, errors: Readonly<Record<string, number>>): number {
  const aborted = errors['aborted'] ?? 0;
  const judged = measured - aborted;
  return judged <= 0 ? 0 : round3((failed - aborted) / judged);
}
