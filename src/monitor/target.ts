import type { Verdict } from '../model/doctor-result.js';
import type { RequestFlags } from '../probe/build-request-spec.js';
import type { Threshold } from '../probe/gate-expression.js';
import type { RequestSpec } from '../probe/request-spec.js';

/**
 * What `monitor` sends to a `/send_operation` URL given no body: ping, 50 tokens 20 ms apart, the
 * first 20 ms in (the guide replica's first-token delay, as `compare`'s workload). One second per
 * probe; an unbuffered stream shows first content at ~20 ms, the guide's old buffer (40 characters
 * = ten 4-character tokens) at ~200 ms, and five releases are enough for doctor's classifier to
 * tell a timer (docs/troubleshooting.md, "doctor verdicts").
 */
export const MONITOR_PING = {
  notebook_id: 'monitor',
  operation: { type: 'ping', count: 50, interval_ms: 20, first_delay_ms: 20, token: 'tok ' },
  lang: 'en',
};

/** One watched stream, resolved: the request is built once and reused by every probe. */
export interface MonitorTarget {
  /** The `target` label value. */
  name: string;
  spec: RequestSpec;
  /** The same request as flags, for the periodic doctor run (doctor builds its own variants). */
  flags: RequestFlags & { url: string };
  /** Mean time between probe starts, ms (each start is jittered by ±JITTER of it). */
  intervalMs: number;
  /** Verdicts a probe must see to succeed (null: any verdict, only the request must succeed). */
  expect: Verdict[] | null;
  /** Gates on the one stream (`first_content_ms.p50 < 100`); a broken gate fails the probe. */
  gates: Threshold[];
  /** Every Nth probe of this target is followed by a short doctor run (0: never). */
  doctorEvery: number;
}

/** Probe starts are spread by ± this share of the interval, so targets and monitors do not probe in lockstep. */
export const JITTER = 0.1;
