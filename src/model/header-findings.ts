import type { Fix } from './fix.js';

/** What check-headers found: plain data its table and JSON render. */

/**
 * check-headers' rules: pure functions of one recorded response (what arrived, and when). Each
 * finding says what was seen, why it matters (with its source) and the fix. Unit-tested on
 * recorded inputs (test/header-rules.test.ts), including the HTTP/2 reset that no Node server can
 * produce.
 */
export type Severity = 'error' | 'warn' | 'info';

export type Outcome = 'pass' | 'fail' | 'skip' | 'note';

export interface Finding {
  id: string;
  severity: Severity;
  /** pass: held; fail: broken (counts for the exit code at its severity); skip: not judged; note: information. */
  outcome: Outcome;
  seen: string;
  why: string;
  fix: Fix | null;
}

/** An intermediary recognised from response headers, and the knob that controls its buffering. */
export interface Intermediary {
  name: string;
  evidence: string;
  knob: string;
}

export interface CheckHeadersResult {
  url: string;
  direct: string | null;
  request: { method: string; headers: Record<string, string> };
  response: {
    status: number | null;
    httpVersion: string | null;
    statusLineVersion: string | null;
    headers: Array<[string, string]>;
    headersMs: number | null;
    firstEventMs: number | null;
    endMs: number;
    events: number;
    error: { kind: string; message: string } | null;
  };
  findings: Finding[];
  /** Findings that make the command exit 1. */
  failing: string[];
  /** True when no response arrived at all (exit 3). */
  nothingMeasured: boolean;
}
