import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { VERDICTS, type Verdict } from '../model/doctor-result.js';
import { LATENCY_BUCKETS_S, MONITOR_METRICS as M } from '../model/monitor-metrics.js';
import type { ProbeOutcome } from './probe-target.js';

/**
 * The monitor's metrics in one registry, labelled by `target` (bounded: the configured names). The
 * long-running /metrics registry accumulates every probe; /probe builds a fresh one for a single
 * probe, as blackbox_exporter's multi-target pattern answers.
 */
export class MonitorMetrics {
  readonly registry = new Registry();
  private readonly firstContent: Histogram<'target'>;
  private readonly gap: Histogram<'target'>;
  private readonly hold: Histogram<'target'>;
  private readonly lag: Histogram<'target'>;
  private readonly success: Gauge<'target'>;
  private readonly duration: Gauge<'target'>;
  private readonly verdict: Gauge<'target' | 'verdict'>;
  private readonly doctorVerdict: Gauge<'target' | 'verdict'>;
  private readonly consecutiveFailures: Gauge<'target'>;
  private readonly httpStatus: Gauge<'target'>;
  private readonly probes: Counter<'target' | 'outcome'>;
  private readonly lastProbe: Gauge<'target'>;
  private readonly failureStreak = new Map<string, number>();

  constructor() {
    const registers = [this.registry];
    const histogram = (name: string, help: string) =>
      new Histogram({ name, help, labelNames: ['target'], buckets: [...LATENCY_BUCKETS_S], registers });
    this.firstContent = histogram(M.firstContent, 'Request start to the first content event, per probe (bench first_content_ms)');
    this.gap = histogram(M.gap, 'Time between consecutive event arrivals, per event (bench gap_ms)');
    this.hold = histogram(M.hold, "Time an event waited in the server's buffer, t - t_src, per stamped event (bench hold_ms)");
    this.lag = histogram(M.lag, "Arrival - send stamp - the probe's smallest such difference, per stamped event (bench lag_ms)");
    this.success = new Gauge({ name: M.success, help: 'Whether the last probe succeeded (request complete, expected verdict, gates held)', labelNames: ['target'], registers });
    this.duration = new Gauge({ name: M.duration, help: 'How long the last probe took', labelNames: ['target'], registers });
    this.verdict = new Gauge({ name: M.verdict, help: "The classifier's verdict of the last probe's stream: 1 for it, 0 for the others", labelNames: ['target', 'verdict'], registers });
    this.doctorVerdict = new Gauge({ name: M.doctorVerdict, help: "The last doctor run's verdict (attribution included): 1 for it, 0 for the others", labelNames: ['target', 'verdict'], registers });
    this.consecutiveFailures = new Gauge({ name: M.consecutiveFailures, help: 'Probes failed in a row up to the last one', labelNames: ['target'], registers });
    this.httpStatus = new Gauge({ name: M.httpStatus, help: "The last probe's HTTP status (0: no response)", labelNames: ['target'], registers });
    this.probes = new Counter({ name: M.probes, help: 'Probes run, by outcome (success, failure)', labelNames: ['target', 'outcome'], registers });
    this.lastProbe = new Gauge({ name: M.lastProbe, help: 'When the last probe started, Unix seconds', labelNames: ['target'], registers });
  }

  /** Makes a target's series exist before its first probe (absent series defeat `for:` and ratios). */
  declare(target: string): void {
    this.probes.inc({ target, outcome: 'success' }, 0);
    this.probes.inc({ target, outcome: 'failure' }, 0);
    this.consecutiveFailures.set({ target }, 0);
  }

  observe(o: ProbeOutcome): void {
    const target = o.target;
    const labels = { target };
    if (o.firstContentS !== null) this.firstContent.observe(labels, o.firstContentS);
    for (const v of o.gapsS) this.gap.observe(labels, v);
    for (const v of o.holdsS) this.hold.observe(labels, v);
    for (const v of o.lagsS) this.lag.observe(labels, v);
    this.success.set(labels, o.success ? 1 : 0);
    this.duration.set(labels, o.durationS);
    if (o.verdict !== null) this.setVerdict(this.verdict, target, o.verdict);
    const streak = o.success ? 0 : (this.failureStreak.get(target) ?? 0) + 1;
    this.failureStreak.set(target, streak);
    this.consecutiveFailures.set(labels, streak);
    this.httpStatus.set(labels, o.status ?? 0);
    this.probes.inc({ target, outcome: o.success ? 'success' : 'failure' });
    this.lastProbe.set(labels, Date.parse(o.at) / 1000);
  }

  observeDoctor(target: string, verdict: Verdict): void {
    this.setVerdict(this.doctorVerdict, target, verdict);
  }

  private setVerdict(g: Gauge<'target' | 'verdict'>, target: string, verdict: Verdict): void {
    for (const v of VERDICTS) g.set({ target, verdict: v }, v === verdict ? 1 : 0);
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
