/**
 * A configuration's warnings as data (docs/reports.md, "Warnings"): a `code`, a `count` and the
 * details the text needs. Merging adds counts of equal warnings (same code, same details); the
 * renderers print `warningText()` at the end of what they show. Free text merged by a regex once
 * summed every number in it, the 8 of "UTF-8" too (issue 24).
 */
export type ReportWarning =
  /** `count` characters of invalid UTF-8 replaced by U+FFFD. */
  | { code: 'invalid_utf8'; count: number; details: Record<string, never> }
  /** `count` successful streams carried no content event. */
  | { code: 'no_content'; count: number; details: Record<string, never> }
  /** `count` of `streams` LLM streams sent no usage (their tokens were counted as content events). */
  | { code: 'llm_no_usage'; count: number; details: { streams: number } }
  /** `count` LLM streams carried more tokens (usage) than content events: `tokens` in `events`. */
  | { code: 'llm_bundled_tokens'; count: number; details: { tokens: number; events: number } }
  /** `count` streams were judged `kind` (docs/metrics.md, "Stream integrity") and counted, not failed. */
  | { code: 'stream_integrity'; count: number; details: { kind: string } }
  /** `count` of `measured` page streams waited for a connection (HTTP/1.1's per-origin limit). */
  | {
      code: 'browser_queued';
      count: number;
      details: { measured: number; protocol: string | null; connections_per_origin: number; queued_ms: number[] };
    }
  /** `count` of `measured` page streams failed, with up to three of their errors. */
  | { code: 'browser_failed'; count: number; details: { measured: number; errors: string[] } }
  /** The page's clock is known to Node's within ±`error_ms` only. */
  | { code: 'browser_clock'; count: number; details: { error_ms: number } }
  /** `count` LLM streams carried an error event. */
  | { code: 'llm_stream_errors'; count: number; details: Record<string, never> }
  /** The client may have limited the run: its loop delay or CPU (null: below its limit) past the limits. */
  | {
      code: 'client_bottleneck';
      count: number;
      details: { loop_delay_p99_ms: number | null; loop_delay_limit_ms: number; cpu_pct: number | null; cpu_limit_pct: number };
    }
  /** compare was interrupted after `completed` of `rounds` rounds. */
  | { code: 'interrupted'; count: number; details: { completed: number; rounds: number } }
  /** server_cpu_ms_per_stream could not be measured: `url` is not readable Prometheus text. */
  | { code: 'server_cpu_unreadable'; count: number; details: { url: string } }
  /** `report` combined a configuration measured with a different setup than the first file's. */
  | { code: 'different_setup'; count: number; details: { file: string; differs: string[]; first: string } }
  /** A version-1 report's free-text warning, kept as it was. */
  | { code: 'legacy'; count: number; details: { message: string } };

export type WarningCode = ReportWarning['code'];

/** Details that add up when equal warnings merge (everything else must be equal to merge). */
const ADDITIVE: Partial<Record<WarningCode, readonly string[]>> = { llm_no_usage: ['streams'], llm_bundled_tokens: ['tokens', 'events'], browser_failed: ['measured'] };

const times = (n: number) => (n > 1 ? ` (${n} times)` : '');

/** The warning as one English line (table, Markdown, HTML, JUnit all print this). */
export function warningText(w: ReportWarning): string {
  switch (w.code) {
    case 'invalid_utf8':
      return `invalid UTF-8 replaced by U+FFFD: ${w.count} characters`;
    case 'no_content':
      return `${w.count} successful streams carried no content event`;
    case 'llm_no_usage':
      return `${w.count} of ${w.details.streams} LLM streams sent no usage: their output tokens are their content events`;
    case 'llm_bundled_tokens':
      return (
        `${w.count} LLM streams carried more tokens (usage) than content events: ${w.details.tokens} tokens in ${w.details.events} events; ` +
        'itl_ms is then a gap between chunks, not tokens: compare itl_per_token_ms with a per-token ITL'
      );
    case 'stream_integrity':
      return `${w.count} streams judged ${w.details.kind} (docs/metrics.md, "Stream integrity"): counted, not failed, unless streams are judged strictly`;
    case 'browser_queued': {
      const d = w.details;
      const h1 = d.protocol === null || /http\/1/i.test(d.protocol);
      return (
        `browser: ${w.count} of ${d.measured} page streams waited for another stream to end before their request went out ` +
        `(${h1 ? `HTTP/1.1: Chromium opens at most ${d.connections_per_origin} connections per origin` : `protocol ${d.protocol}`}; ` +
        `queued_ms ${d.queued_ms.join(', ')}${w.count > d.queued_ms.length ? ', …' : ''}). Fix: serve HTTP/2 over TLS (h2 carries every stream on one connection), ` +
        'or open fewer streams per origin (one multiplexed stream per tab, or separate origins)'
      );
    }
    case 'browser_failed':
      return `browser: ${w.count} of ${w.details.measured} page streams failed (${w.details.errors.join('; ')})`;
    case 'browser_clock':
      return `browser: the page's clock is known to Node's within ±${w.details.error_ms} ms only; browser_overhead_ms carries that error${times(w.count)}`;
    case 'llm_stream_errors':
      return `${w.count} LLM streams carried an error event`;
    case 'client_bottleneck': {
      const d = w.details;
      const why = [
        ...(d.loop_delay_p99_ms !== null ? [`event-loop delay p99 ${d.loop_delay_p99_ms} ms (> ${d.loop_delay_limit_ms} ms)`] : []),
        ...(d.cpu_pct !== null ? [`CPU ${d.cpu_pct}% of one core (≥ ${d.cpu_limit_pct}%)`] : []),
      ].join(', ');
      return (
        `the client may have been the bottleneck: ${why}; latencies include time spent waiting in this process. ` +
        `Use fewer streams per process, or run one bench per machine and merge the reports (docs/distributed.md)${times(w.count)}`
      );
    }
    case 'interrupted':
      return `interrupted: ${w.details.completed} of ${w.details.rounds} rounds completed${times(w.count)}`;
    case 'server_cpu_unreadable':
      return `server_cpu_ms_per_stream: ${w.details.url} is not readable Prometheus text${times(w.count)}`;
    case 'different_setup':
      return `from ${w.details.file}, measured with a different ${w.details.differs.join(', ')} than ${w.details.first}${times(w.count)}`;
    case 'legacy':
      return `${w.details.message}${times(w.count)}`;
  }
}

/** What must be equal for two warnings to merge: the code and the non-additive details. */
function mergeKey(w: ReportWarning): string {
  const additive = ADDITIVE[w.code] ?? [];
  const fixed = Object.entries(w.details).filter(([k]) => !additive.includes(k));
  return JSON.stringify([w.code, fixed]);
}

/** Equal warnings (same code and details) become one with their counts (and additive details) added; first-seen order. */
export function mergeWarnings(lists: readonly (readonly ReportWarning[])[]): ReportWarning[] {
  const out = new Map<string, ReportWarning>();
  for (const list of lists) {
    for (const w of list) {
      const key = mergeKey(w);
      const prev = out.get(key);
      if (prev === undefined) {
        out.set(key, { ...w, details: { ...w.details } } as ReportWarning);
        continue;
      }
      prev.count += w.count;
      const details = prev.details as Record<string, unknown>;
      for (const k of ADDITIVE[w.code] ?? []) details[k] = (details[k] as number) + ((w.details as Record<string, number>)[k] ?? 0);
    }
  }
  return [...out.values()];
}

/** A version-1 report's warning (free text) in today's shape. */
export function legacyWarning(message: string): ReportWarning {
  return { code: 'legacy', count: 1, details: { message } };
}
