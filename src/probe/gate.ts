import { UsageError } from '../model/errors.js';
import type { Report, ReportConfiguration } from '../model/report.js';
import { refName, type MaxRegression, type MetricRef, type Threshold } from './gate-expression.js';
import { byFieldName, field, ft, renderFieldText, type FieldNamer } from '../model/field-text.js';
import { betterDirection, isMsMetric } from '../model/metric-catalog.js';
import { selectConfiguration } from '../model/select-configuration.js';
import type { GateCheck, GateOutcome } from '../model/gate-outcome.js';

export interface GateSpec {
  thresholds: Threshold[];
  maxRegressions: MaxRegression[];
  /** Regressions smaller than this (ms metrics only) are within the noise a user accepts. */
  minDeltaMs: number;
  /** How a check's detail names an option (the CLI passes its flag names). */
  names?: FieldNamer;
}

/**
 * A value of a configuration: a stat of a histogram metric, or a scalar. Null when there are no
 * samples: a missing metric, a histogram with count 0, a scalar the run could not measure. An
 * `errors.<kind>` the run never saw is 0 (reports leave out kinds with no failures).
 */
export function readValue(c: ReportConfiguration, ref: MetricRef): number | null {
  if (ref.stat === null) {
    const v = c.scalars[ref.metric];
    if (v !== undefined) return v;
    return ref.metric.startsWith('errors.') ? 0 : null;
  }
  const m = c.metrics[ref.metric];
  if (m === undefined || m.count === 0) return null;
  return ref.stat === 'count' ? m.count : m[ref.stat];
}

const fmt = (v: number) => String(Math.round(v * 1000) / 1000);

function compareOp(value: number, op: Threshold['op'], limit: number): boolean {
  switch (op) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
  }
}

export function checkThreshold(c: ReportConfiguration, t: Threshold): GateCheck {
  const name = refName(t);
  const value = readValue(c, t);
  const base = { kind: 'threshold' as const, expression: t.source, name, value, limit: t.value, regression_pct: null };
  if (value === null) return { ...base, passed: false, detail: `${name} has no samples in '${c.name}': a gate never passes on no data` };
  const passed = compareOp(value, t.op, t.value);
  return { ...base, passed, detail: `${name} = ${fmt(value)} ${passed ? 'holds' : 'breaks'} ${t.op} ${fmt(t.value)}` };
}

/**
 * Direction-aware: for lower-is-better metrics a rise is the regression, for the rates a fall
 * (docs/metrics.md, the better direction). `minDeltaMs` forgives small absolute changes of ms metrics.
 */
export function checkRegression(c: ReportConfiguration, baseline: ReportConfiguration, r: MaxRegression, minDeltaMs: number, names: FieldNamer = byFieldName): GateCheck {
  const name = refName(r);
  const value = readValue(c, r);
  const before = readValue(baseline, r);
  const base = { kind: 'max_regression' as const, expression: r.source, name, value, limit: before };
  if (value === null) return { ...base, regression_pct: null, passed: false, detail: `${name} has no samples in '${c.name}': a gate never passes on no data` };
  if (before === null) return { ...base, regression_pct: null, passed: false, detail: `${name} has no samples in the baseline '${baseline.name}'` };
  const worse = betterDirection(r.metric) === 'lower' ? value - before : before - value;
  const pct = before === 0 ? (worse === 0 ? 0 : worse > 0 ? Infinity : -Infinity) : (worse / Math.abs(before)) * 100;
  // From a baseline of 0 there is no percentage: any rise is a regression beyond every limit.
  const regression_pct = Number.isFinite(pct) ? Math.round(pct * 100) / 100 : null;
  const within = pct <= r.pct;
  const noise = isMsMetric(r.metric) && Math.abs(value - before) < minDeltaMs;
  const passed = within || noise;
  const change = Number.isFinite(pct) ? `${pct > 0 ? '+' : ''}${pct.toFixed(1)} % ${pct > 0 ? 'worse' : pct < 0 ? 'better' : 'unchanged'}` : 'from 0';
  const why = within ? `within ${r.pct} %` : noise ? renderFieldText(ft`beyond ${r.pct} %, but |Δ| ${fmt(Math.abs(value - before))} ms < ${field('minDeltaMs')} ${minDeltaMs}`, names) : `beyond ${r.pct} %`;
  return { ...base, regression_pct, passed, detail: `${name} ${fmt(before)} → ${fmt(value)} (${change}): ${why}` };
}

/** Evaluates every gate against one configuration (`--select`) and the baseline's matching one. */
export function evaluateGates(
  report: Report,
  reportFile: string,
  spec: GateSpec,
  select: string | undefined,
  baseline?: { report: Report; file: string },
): GateOutcome {
  const c = selectConfiguration(report, select, `'${reportFile}'`);
  let b: ReportConfiguration | null = null;
  if (spec.maxRegressions.length > 0) {
    if (baseline === undefined) {
      throw new UsageError(ft`${field('maxRegressions')} needs ${field('baseline')} FILE to compare against`, { code: 'NBS_USAGE_REQUIRES' });
    }
    const byName = baseline.report.configurations.find((x) => x.name === c.name);
    if (byName !== undefined) b = byName;
    else if (baseline.report.configurations.length === 1) b = baseline.report.configurations[0]!;
    else {
      const names = baseline.report.configurations.map((x) => x.name).join(', ');
      throw new UsageError(ft`${field('baseline')} '${baseline.file}' has no configuration '${c.name}' and holds several (${names})`, {
        code: 'NBS_USAGE_AMBIGUOUS',
        details: { file: baseline.file, configuration: c.name },
      });
    }
  }
  const checks = [...spec.thresholds.map((t) => checkThreshold(c, t)), ...spec.maxRegressions.map((r) => checkRegression(c, b!, r, spec.minDeltaMs, spec.names))];
  return {
    report: reportFile,
    configuration: c.name,
    baseline: b === null || baseline === undefined ? null : { report: baseline.file, configuration: b.name },
    checks,
    passed: checks.every((x) => x.passed),
  };
}
