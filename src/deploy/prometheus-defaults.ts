/** `config prometheus`'s defaults, apart from the generator so the CLI can show them without loading it. */
export const PROMETHEUS_DEFAULTS = {
  monitor: '127.0.0.1:9464',
  serve: '127.0.0.1:18600',
  scrapeIntervalMs: 15_000,
  evaluationIntervalMs: 15_000,
  rulesFile: 'notebook-stream.rules.yml',
  forMs: 300_000,
  windowMs: 600_000,
  firstContentP99Ms: 500,
  failures: 3,
  maxStreams: 10_000,
  near: 0.8,
  holdMarginMs: 25,
} as const;

/** A Prometheus duration (`15s`, `5m`, `250ms`) for a whole number of ms. */
export function promDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${Math.round(ms)}ms`;
}
