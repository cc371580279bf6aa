import type { StreamRecord } from '../model/record.js';
import { outputTokens } from '../model/record.js';

/**
 * `bench --trace FILE.jsonl` (docs/metrics.md, "Raw traces"): one JSON line per request, then one
 * per event and heartbeat in arrival order, for offline analysis. Times are integer µs from the
 * request's intended start, as in the report; `t`/`t_src` are the server's stamps in ms (null when
 * absent); `tokens` is an event's own output tokens when the server's running `usage` said.
 */
export function traceLines(r: StreamRecord): string {
  const tokens = outputTokens(r);
  const lines: string[] = [
    JSON.stringify({
      type: 'request',
      request: r.index,
      warmup: r.warmup,
      start_us: r.startUs,
      connect_us: r.connectUs,
      headers_us: r.headersUs,
      first_byte_us: r.firstByteUs,
      end_us: r.endUs,
      status: r.status,
      error: r.error?.kind ?? null,
      integrity: r.integrity,
      llm: r.llm,
      content_events: r.contentEvents,
      usage_tokens: r.outputTokens,
      output_tokens: tokens,
    }),
  ];
  const tl = r.timeline;
  const beats = r.heartbeatsUs;
  const own = tl.ownTokens();
  let b = 0;
  for (let i = 0; i < tl.length; i++) {
    const at = tl.arrivalUs[i]!;
    for (; b < beats.length && beats[b]! <= at; b++) lines.push(JSON.stringify({ type: 'heartbeat', request: r.index, arrival_us: beats[b] }));
    const t = tl.t[i]!;
    const tSrc = tl.tSrc[i]!;
    lines.push(
      JSON.stringify({
        type: 'event',
        request: r.index,
        arrival_us: at,
        read: tl.read[i],
        bytes: tl.bytes[i],
        event: tl.event[i],
        kind: tl.kind[i],
        tokens: Number.isNaN(own[i]!) ? null : own[i],
        t: Number.isNaN(t) ? null : t,
        t_src: Number.isNaN(tSrc) ? null : tSrc,
      }),
    );
  }
  for (; b < beats.length; b++) lines.push(JSON.stringify({ type: 'heartbeat', request: r.index, arrival_us: beats[b] }));
  return lines.join('\n') + '\n';
}
