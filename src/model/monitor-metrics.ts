/**
 * The names `monitor` exports on /metrics and /probe, and the latency buckets of its histograms
 * (docs/monitoring.md, "Metrics"). One list: the monitor registers them, `config prometheus`
 * writes rules against them.
 */
export const MONITOR_METRICS = {
  firstContent: 'nbs_monitor_first_content_seconds',
  gap: 'nbs_monitor_gap_seconds',
  hold: 'nbs_monitor_hold_seconds',
  lag: 'nbs_monitor_lag_seconds',
  success: 'nbs_monitor_probe_success',
  duration: 'nbs_monitor_probe_duration_seconds',
  verdict: 'nbs_monitor_verdict',
  doctorVerdict: 'nbs_monitor_doctor_verdict',
  consecutiveFailures: 'nbs_monitor_consecutive_failures',
  httpStatus: 'nbs_monitor_last_http_status',
  probes: 'nbs_monitor_probes_total',
  lastProbe: 'nbs_monitor_last_probe_timestamp_seconds',
} as const;

/**
 * Bucket upper bounds in seconds for stream latencies. Prometheus interpolates linearly inside a
 * bucket, so a quantile is known to within its bucket: 1–5 ms wide up to 40 ms, 10–20 ms up to
 * 100 ms, 25–50 ms up to 400 ms (20 ms, 60 ms and 200 ms fall in different buckets with room
 * between them), then coarse: a first token after a second is an outage, not a latency to tune.
 * 37 bounds: with `+Inf`, `_sum` and `_count` 40 series per target and histogram (docs/monitoring.md).
 */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1,
  0.125, 0.15, 0.175, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 5, 10, 30,
];

/** The bucket (lower, upper] that holds `seconds`: what "within the bucket resolution" means. */
export function bucketOf(seconds: number, buckets: readonly number[] = LATENCY_BUCKETS_S): { lower: number; upper: number } {
  let lower = 0;
  for (const upper of buckets) {
    if (seconds <= upper) return { lower, upper };
    lower = upper;
  }
  return { lower, upper: Infinity };
}
