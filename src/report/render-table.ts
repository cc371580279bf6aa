import { NO_COLORS, tableStyle, type Colors } from './chalk.js';
import Table from 'cli-table3';
import type { ColdStart, MetricStats, Report, ReportConfiguration } from '../model/report.js';
import { warningText } from '../model/warnings.js';
import { renderDefinitions } from './render-definitions.js';

const STATS = ['p50', 'p90', 'p99', 'p99.9', 'min', 'max', 'mean', 'stdev'] as const;

function cell(v: number | null, unit: MetricStats['unit'], chalk: Colors): string {
  if (v === null) return chalk.dim('–');
  return unit === 'ms' ? v.toFixed(2) : Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** One configuration as a table: one row per metric with samples, then rates and errors. */
export function renderConfiguration(c: ReportConfiguration, chalk: Colors = NO_COLORS): string {
  const table = new Table({
    head: ['metric', ...STATS, 'count'],
    // No rule between rows: a metric per row reads best as a compact block.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: tableStyle(chalk),
    colAligns: ['left', ...STATS.map(() => 'right' as const), 'right'],
  });
  for (const [name, m] of Object.entries(c.metrics)) {
    if (m.count === 0) continue;
    const label = name === 'first_content_ms' ? chalk.bold(name) : name;
    table.push([label, ...STATS.map((s) => cell(m[s], m.unit, chalk)), String(m.count)]);
  }
  const t = c.target;
  const lines: string[] = [];
  const how = [
    `${t.method} ${t.url}`,
    `HTTP/${t.http_version ?? '?'}`,
    t.keep_alive ? 'keep-alive' : 'new connection per request',
    `parsed as ${t.parsed_as.join('+') || t.format}`,
  ];
  if (t.content_encoding !== null) how.push(`Content-Encoding: ${t.content_encoding}`);
  if (t.embedded_server !== null) how.push(`embedded server, flush policy ${t.embedded_server.flush_policy}`);
  lines.push(chalk.bold(c.name) + '  ' + how.join(', '));
  lines.push(
    `requests: ${c.requests.measured} measured (${c.requests.ok} ok, ${c.requests.failed} failed), ${c.requests.warmup} warmup, ` +
      `${(c.duration_ms / 1000).toFixed(2)} s`,
  );
  if (c.load !== undefined) lines.push(describeLoad(c));
  if (c.cold_start !== undefined) lines.push(describeColdStart(c.cold_start, chalk));
  if (c.browser !== undefined) lines.push(describeBrowser(c));
  lines.push(table.toString());
  const s = c.scalars;
  lines.push(
    `error_rate ${s['error_rate']}  requests_per_s ${s['requests_per_s']}  events_per_s ${s['events_per_s']}  ` +
      `bytes_per_s ${s['bytes_per_s']}  client_cpu_pct ${s['client_cpu_pct']}`,
  );
  if (c.llm !== undefined) {
    const from = { usage: "the server's usage", content_events: 'counted content events (no usage sent)', mixed: 'usage where sent, else content events' };
    lines.push(
      `output_tokens_per_s ${s['output_tokens_per_s'] ?? 0}  output_tokens ${c.llm.output_tokens} in ${c.llm.streams} LLM streams, ` +
        `from ${from[c.llm.token_source]}`,
    );
  }
  if (c.goodput !== undefined) {
    const g = c.goodput;
    lines.push(
      `goodput ${s['goodput'] ?? 0} (${g.good} of ${g.measured} requests met ${g.slo}, whole and successful)  goodput_per_s ${s['goodput_per_s'] ?? 0}`,
    );
  }
  if (c.stream_integrity !== undefined) {
    lines.push(chalk.yellow('stream integrity: ' + Object.entries(c.stream_integrity).map(([k, n]) => `${k} ${n}`).join(', ')));
  }
  if (c.definitions !== undefined) lines.push(renderDefinitions(c.definitions, chalk));
  const errors = Object.entries(c.errors);
  if (errors.length > 0) lines.push(chalk.red('errors: ' + errors.map(([k, n]) => `${k} ${n}`).join(', ')));
  lines.push(chalk.dim('all times in ms from the intended start of each request; first_content_ms is the first event with payload'));
  if (c.load?.model === 'open') lines.push(chalk.dim('service_* metrics: the same times from the actual start (what the server alone took)'));
  // Warnings last, where the eye ends (docs/reports.md, "Warnings").
  for (const w of c.warnings) lines.push(chalk.yellow(`warning: ${warningText(w)}`));
  return lines.join('\n') + '\n';
}

/** The warm-up request, shown apart from the statistics it would otherwise have dominated. */
function describeColdStart(cold: ColdStart, chalk: Colors): string {
  const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)} ms`);
  const parts = [`connect ${ms(cold.connect_ms)}`, `headers ${ms(cold.headers_ms)}`, `first content ${ms(cold.first_content_ms)}`];
  if (cold.error !== null) parts.push(`failed: ${cold.error}`);
  return chalk.dim(`cold start (the warm-up request, not in the statistics): ${parts.join(', ')}`);
}

/** `load: open model, 50/s poisson, …`: how the run generated load, and what its connections did. */
function describeLoad(c: ReportConfiguration): string {
  const l = c.load!;
  const model =
    l.model === 'closed'
      ? `closed model, ${l.concurrency ?? '?'} at once`
      : `open model, ${l.rate ?? '?'}/s ${l.arrival ?? ''}, at most ${l.max_in_flight ?? '?'} in flight`;
  const runs = l.runs > 1 ? `, ${l.runs} runs merged` : '';
  return `load: ${model}, ${l.connections} connections max (${l.connections_opened} opened, ${l.requests_on_reused_connections} requests reused one)${runs}`;
}

/** `browser: Chromium 1xx, fetch, h2, 10 ok`: the page's side of a bench --browser run (docs/bench.md). */
function describeBrowser(c: ReportConfiguration): string {
  const b = c.browser!;
  const queued = b.queued_streams.length === 0 ? 'no stream waited for a connection' : `${b.queued_streams.length} waited for a connection`;
  const overhead = b.overhead_from === 't' ? "browser_overhead_ms from the server's t stamps" : b.overhead_from === 'start' ? 'browser_overhead_ms from each request start' : 'no events paired with the wire';
  return `browser: Chromium ${b.chromium}, ${b.api}, ${b.protocol ?? 'protocol unknown'}, ${b.requests.ok} of ${b.requests.measured} page streams ok, ${queued}; ${overhead}`;
}

/** Every configuration of a report, one table each. */
export function renderTable(report: Report, chalk: Colors = NO_COLORS): string {
  return report.configurations.map((c) => renderConfiguration(c, chalk)).join('\n');
}
