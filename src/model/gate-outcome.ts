import type { ReportWarning } from './warnings.js';

/** What `gate` decided: plain data that the gate table, JUnit and Markdown exporters render. */

/** One evaluated gate: a row of the gate table, a JUnit test case. */
export interface GateCheck {
  kind: 'threshold' | 'max_regression';
  /** The expression as written. */
  expression: string;
  /** `first_content_ms.p99` or `error_rate`. */
  name: string;
  /** The measured value; null when the metric has no samples. */
  value: number | null;
  /** Threshold: its limit. Max regression: the baseline's value. */
  limit: number | null;
  /** Max regression: change against the baseline in %, positive = worse. */
  regression_pct: number | null;
  passed: boolean;
  /** One line: why it passed or failed. */
  detail: string;
}

export interface GateOutcome {
  report: string;
  configuration: string;
  baseline: { report: string; configuration: string } | null;
  checks: GateCheck[];
  passed: boolean;
  /** The gated configuration's warnings (a gate that passes on a run with invalid UTF-8 says so). */
  warnings: ReportWarning[];
}
