import { performance } from 'node:perf_hooks';
import type { Verdict } from '../model/doctor-result.js';
import { newHistogram } from '../model/metric-histogram.js';
import type { StreamRecord } from '../model/record.js';
import { classifyArrivals } from '../probe/doctor-classifier.js';
import { checkThreshold } from '../probe/gate.js';
import { reportTarget } from '../probe/request-spec.js';
import type { StreamClient } from '../probe/stream-client.js';
import { summarizeRun } from '../probe/summarize-run.js';
import type { MonitorTarget } from './target.js';

/** One probe of one target: what the metrics and the log line are made of. Plain data. */
export interface ProbeOutcome {
  target: string;
  /** When the probe started (ISO 8601). */
  at: string;
  success: boolean;
  /** Why it failed: the request's error, a missing verdict, a broken gate. Empty on success. */
  failures: string[];
  durationS: number;
  status: number | null;
  /** `kind: message` of the request's error, or null. */
  error: string | null;
  /** The classifier's verdict of this one stream; null when nothing arrived. */
  verdict: Verdict | null;
  reason: string;
  events: number;
  firstContentS: number | null;
  /** Per event: time since the previous event's arrival, s. */
  gapsS: number[];
  /** Per event with both stamps: t − t_src, s (the server's buffer). */
  holdsS: number[];
  /** Per event with a send stamp: arrival − t − the stream's smallest such difference, s (the path). */
  lagsS: number[];
}

/** The per-event series of one record, as bench computes them (summarize-run.ts), in seconds. */
function series(r: StreamRecord): Pick<ProbeOutcome, 'gapsS' | 'holdsS' | 'lagsS'> {
  const tl = r.timeline;
  const gapsS: number[] = [];
  const holdsS: number[] = [];
  const lagsS: number[] = [];
  let minDiff = Infinity;
  for (let i = 0; i < tl.length; i++) {
    const t = tl.t[i]!;
    if (!Number.isNaN(t)) minDiff = Math.min(minDiff, tl.arrivalUs[i]! / 1000 - t);
  }
  for (let i = 0; i < tl.length; i++) {
    if (i > 0) gapsS.push((tl.arrivalUs[i]! - tl.arrivalUs[i - 1]!) / 1e6);
    const t = tl.t[i]!;
    if (Number.isNaN(t)) continue;
    lagsS.push((tl.arrivalUs[i]! / 1000 - t - minDiff) / 1000);
    const tSrc = tl.tSrc[i]!;
    if (!Number.isNaN(tSrc)) holdsS.push(Math.max(0, t - tSrc) / 1000);
  }
  return { gapsS, holdsS, lagsS };
}

/** Gate checks over this one stream, as `gate` reads a report (a one-request configuration). */
function brokenGates(target: MonitorTarget, record: StreamRecord): string[] {
  if (target.gates.length === 0) return [];
  const c = summarizeRun(
    target.name,
    reportTarget(target.spec),
    { records: [record], startedAt: new Date(), wallMs: record.endUs / 1000, cpuUs: 0, loopDelay: newHistogram() },
    0,
  );
  return target.gates.map((g) => checkThreshold(c, g)).filter((check) => !check.passed).map((check) => `gate: ${check.detail}`);
}

/**
 * Runs one stream of `target` on `client` and judges it: the request must succeed (2xx, complete,
 * at least one content event), the verdict be one of `expect`, the gates hold. Never throws for a
 * failed request: the outcome says why.
 */
export async function probeTarget(target: MonitorTarget, client: StreamClient, index: number): Promise<ProbeOutcome> {
  const at = new Date();
  const t0 = performance.now();
  const record = await client.request(index, false, t0);
  const durationS = (performance.now() - t0) / 1000;
  const failures: string[] = [];
  const error = record.error === null ? null : `${record.error.kind}: ${record.error.message}`;
  if (error !== null) failures.push(error);
  else if (record.firstContentUs === null) failures.push('no content event arrived');
  const classification = record.events > 0 ? classifyArrivals(record.timeline.entries()) : null;
  const verdict = classification?.verdict ?? null;
  if (target.expect !== null && (verdict === null || !target.expect.includes(verdict))) {
    failures.push(`verdict ${verdict ?? 'none'}, expected ${target.expect.join(' or ')}`);
  }
  if (error === null) failures.push(...brokenGates(target, record));
  return {
    target: target.name,
    at: at.toISOString(),
    success: failures.length === 0,
    failures,
    durationS,
    status: record.status,
    error,
    verdict,
    reason: classification?.reason ?? 'no events arrived',
    events: record.events,
    firstContentS: record.firstContentUs === null ? null : record.firstContentUs / 1e6,
    ...series(record),
  };
}
