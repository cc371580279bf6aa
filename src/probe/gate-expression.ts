import { UsageError } from '../model/errors.js';
import { field, ft, type FieldText } from '../model/field-text.js';
import { ALL_SCALAR_NAMES, METRIC_NAMES, STAT_NAMES, isScalarName, isStatName, type StatName } from '../model/metric-catalog.js';

/**
 * The gate grammar (docs/ci.md), in the spirit of k6 thresholds:
 *
 *   threshold      = METRIC "." STAT OP NUMBER | SCALAR OP NUMBER
 *   max_regression = METRIC "." STAT ":" NUMBER "%" | SCALAR ":" NUMBER "%"
 *   OP             = "<" | "<=" | ">" | ">="
 *
 * METRIC is the longest known metric name before a dot, so `first_content_ms.p99.9` reads as
 * metric `first_content_ms`, stat `p99.9`; a scalar may itself hold a dot (`errors.idle_timeout`).
 * Every mistake is a usage error (exit 2) that names the flag and lists the valid names.
 */
export type GateOp = '<' | '<=' | '>' | '>=';
export const GATE_OPS: readonly GateOp[] = ['<', '<=', '>', '>='];

/** What a gate reads: a histogram metric's stat, or a scalar (stat null). */
export interface MetricRef {
  metric: string;
  stat: StatName | null;
}

export interface Threshold extends MetricRef {
  /** The expression as written. */
  source: string;
  op: GateOp;
  value: number;
}

export interface MaxRegression extends MetricRef {
  source: string;
  /** Allowed change in the worse direction, in % of the baseline. */
  pct: number;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A gate mistake: exit 2 like every usage error; `code` tells the kinds apart for tests and scripts. */
export class GateSyntaxError extends UsageError {
  constructor(code: string, message: FieldText) {
    super(message, { code });
    this.name = 'GateSyntaxError';
  }
}

const EXAMPLE = "e.g. 'first_content_ms.p99 < 150' or 'error_rate < 0.01'";

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

function suggestion(name: string, candidates: readonly string[]): string {
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = levenshtein(name, c);
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(name.length / 4)) ? ` (did you mean ${best}?)` : '';
}

/** Reads `METRIC.STAT` or `SCALAR`; `where` prefixes every message (`thresholds 'x':`). */
export function parseMetricRef(text: string, where: FieldText): MetricRef {
  const lhs = text.trim();
  if (lhs === '') throw new GateSyntaxError('NBS_GATE_MISSING_METRIC', ft`${where} missing metric name (${EXAMPLE})`);
  if (isScalarName(lhs)) return { metric: lhs, stat: null };
  if (METRIC_NAMES.includes(lhs)) {
    throw new GateSyntaxError('NBS_GATE_MISSING_STAT', ft`${where} ${lhs} needs a stat, e.g. ${lhs}.p99 (stats: ${STAT_NAMES.join(' ')})`);
  }
  let metric: string | null = null;
  for (const m of METRIC_NAMES) if (lhs.startsWith(`${m}.`) && (metric === null || m.length > metric.length)) metric = m;
  if (metric === null) {
    const scalar = ALL_SCALAR_NAMES.find((s) => lhs.startsWith(`${s}.`));
    if (scalar !== undefined) {
      throw new GateSyntaxError('NBS_GATE_SCALAR_STAT', ft`${where} ${scalar} is a scalar and takes no stat: write '${scalar} < NUMBER'`);
    }
    const name = lhs.split('.')[0]!;
    throw new GateSyntaxError(
      'NBS_GATE_UNKNOWN_METRIC',
      ft`${where} unknown metric '${name}'${suggestion(name, [...METRIC_NAMES, ...ALL_SCALAR_NAMES])}. Metrics (METRIC.STAT): ${METRIC_NAMES.join(' ')}. Scalars: ${ALL_SCALAR_NAMES.join(' ')}`,
    );
  }
  const stat = lhs.slice(metric.length + 1);
  if (!isStatName(stat)) {
    throw new GateSyntaxError('NBS_GATE_UNKNOWN_STAT', ft`${where} unknown stat '${stat}' of ${metric}${suggestion(stat, STAT_NAMES)}. Stats: ${STAT_NAMES.join(' ')}`);
  }
  return { metric, stat };
}

/** `METRIC.STAT OP NUMBER` or `SCALAR OP NUMBER`. */
export function parseThreshold(text: string, flag: FieldText = [field('thresholds')]): Threshold {
  const where = ft`${flag} '${text}':`;
  const source = text.trim();
  if (source === '') throw new GateSyntaxError('NBS_GATE_EMPTY', ft`${flag}: empty expression; expected METRIC.STAT OP NUMBER (${EXAMPLE})`);
  const at = source.search(/[<>=!]/);
  if (at === -1) {
    throw new GateSyntaxError('NBS_GATE_MISSING_OPERATOR', ft`${where} no comparison operator; expected one of ${GATE_OPS.join(' ')} (${EXAMPLE})`);
  }
  const opText = /^[<>=!]+/.exec(source.slice(at))![0];
  if (!(GATE_OPS as readonly string[]).includes(opText)) {
    throw new GateSyntaxError('NBS_GATE_UNKNOWN_OPERATOR', ft`${where} unknown operator '${opText}'; expected one of ${GATE_OPS.join(' ')}`);
  }
  const ref = parseMetricRef(source.slice(0, at), where);
  const rhs = source.slice(at + opText.length).trim();
  if (rhs === '') throw new GateSyntaxError('NBS_GATE_MISSING_NUMBER', ft`${where} missing number after '${opText}'`);
  if (!NUMBER.test(rhs)) {
    throw new GateSyntaxError(
      'NBS_GATE_BAD_NUMBER',
      ft`${where} '${rhs}' is not a number (write the limit in the metric's unit without a suffix: milliseconds for *_ms, a fraction for error_rate)`,
    );
  }
  return { ...ref, source, op: opText as GateOp, value: Number(rhs) };
}

/** `METRIC.STAT:N%` or `SCALAR:N%`. */
export function parseMaxRegression(text: string, flag: FieldText = [field('maxRegressions')]): MaxRegression {
  const where = ft`${flag} '${text}':`;
  const source = text.trim();
  if (source === '') throw new GateSyntaxError('NBS_GATE_EMPTY', ft`${flag}: empty expression; expected METRIC.STAT:N% (e.g. 'first_content_ms.p50:10%')`);
  const colon = source.lastIndexOf(':');
  if (colon === -1) throw new GateSyntaxError('NBS_GATE_MISSING_PERCENT', ft`${where} expected METRIC.STAT:N% (e.g. 'first_content_ms.p50:10%')`);
  const ref = parseMetricRef(source.slice(0, colon), where);
  const rhs = source.slice(colon + 1).trim();
  const m = /^(.*?)\s*%$/.exec(rhs);
  if (m === null || !NUMBER.test(m[1]!) || Number(m[1]) < 0) {
    throw new GateSyntaxError('NBS_GATE_BAD_PERCENT', ft`${where} '${rhs}' is not a percentage: expected a number ≥ 0 followed by % (e.g. 10%)`);
  }
  return { ...ref, source, pct: Number(m[1]) };
}

/** `first_content_ms.p99` or `error_rate`: how a reference is written back. */
export function refName(ref: MetricRef): string {
  return ref.stat === null ? ref.metric : `${ref.metric}.${ref.stat}`;
}
