import type { IntegrityKind, StreamRecord } from '../model/record.js';

/** What `bench` checks a stream's integrity against (docs/metrics.md, "Stream integrity"). */
export interface StreamChecks {
  /** A stream with an integrity problem is a failed request with that error kind (`--strict-streams`). */
  strict: boolean;
  /** The source's heartbeat interval when known: silences longer than 1.5× it with none seen are `heartbeat_missing`. */
  heartbeatMs: number | null;
}

/** A late heartbeat timer on a loaded machine is not a stripped heartbeat: 1.5 intervals of slack. */
export const HEARTBEAT_SLACK = 1.5;

/**
 * Judges a stream whose transport succeeded, in this order:
 * - `error_body`: the body's first event is an error (a 200 whose answer is `{"error": …}`);
 * - `stream_error`: an error event later (`event: error`, an in-stream `{"error": …}`);
 * - `stream_cut`: a stream whose protocol has a terminator ended without it: an LLM stream parsed
 *   as SSE or NDJSON without `[DONE]`, `done`, `message_stop` or `response.completed`, or a stream
 *   of our server (events stamped with `t`) without `done`;
 * - `heartbeat_missing`: with a known interval H, a silence between headers, events and the end
 *   longer than 1.5 H in which no heartbeat arrived.
 * Null when none applies.
 */
export function judgeIntegrity(r: StreamRecord, heartbeatMs: number | null): IntegrityKind | null {
  const tl = r.timeline;
  let terminated = false;
  let stamped = false;
  for (let i = 0; i < tl.length; i++) {
    const kind = tl.kind[i];
    if (kind === 'error') return i === 0 ? 'error_body' : 'stream_error';
    if (kind === 'done') terminated = true;
    if (!stamped && !Number.isNaN(tl.t[i]!)) stamped = true;
  }
  const streamed = r.format === 'sse' || r.format === 'ndjson';
  if (streamed && !terminated && (r.llm || stamped) && tl.length > 0) return 'stream_cut';
  if (heartbeatMs !== null && r.headersUs !== null && silentTooLong(r, heartbeatMs * 1000 * HEARTBEAT_SLACK)) return 'heartbeat_missing';
  return null;
}

/** True when some gap between consecutive events (headers and end included) held no heartbeat and exceeded `limitUs`. */
function silentTooLong(r: StreamRecord, limitUs: number): boolean {
  const arrivals = r.timeline.arrivalUs;
  const beats = r.heartbeatsUs;
  let b = 0;
  let prev = r.headersUs!;
  for (let i = 0; i <= arrivals.length; i++) {
    const at = i < arrivals.length ? arrivals[i]! : r.endUs;
    let seen = false;
    while (b < beats.length && beats[b]! <= at) {
      if (beats[b]! >= prev) seen = true;
      b++;
    }
    if (!seen && at - prev > limitUs) return true;
    prev = at;
  }
  return false;
}
