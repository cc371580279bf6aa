import type { MetricStats, Report, ReportConfiguration } from '../../model/report.js';
import { esc } from './escape.js';
import { fmtBytes, fmtMs, fmtNum } from './format.js';
import { figureValue } from '../render-definitions.js';

const STATS = ['p50', 'p90', 'p99', 'p99.9', 'min', 'max', 'mean', 'stdev'] as const;

/** Wraps a wide table so it scrolls on its own at phone width and can be reached by keyboard. */
export function scrollTable(label: string, table: string): string {
  return `<div class="table-scroll" tabindex="0" role="region" aria-label="${esc(label)}">${table}</div>`;
}

function stat(m: MetricStats | undefined, s: (typeof STATS)[number] | 'count'): string {
  if (m === undefined || m.count === 0) return '–';
  if (s === 'count') return String(m.count);
  // As the terminal table prints them, so the page and the table can be read side by side.
  const v = m[s];
  if (v === null) return '–';
  return m.unit === 'ms' ? v.toFixed(2) : fmtNum(v);
}

/** The summary rows: what the first look needs, one column per configuration. */
const SUMMARY_ROWS: ReadonlyArray<{ label: string; metric: string; stat: (typeof STATS)[number] }> = [
  { label: 'first content p50 (ms)', metric: 'first_content_ms', stat: 'p50' },
  { label: 'first content p90 (ms)', metric: 'first_content_ms', stat: 'p90' },
  { label: 'first content p99 (ms)', metric: 'first_content_ms', stat: 'p99' },
  { label: 'first content max (ms)', metric: 'first_content_ms', stat: 'max' },
  { label: 'hold p50 (ms)', metric: 'hold_ms', stat: 'p50' },
  { label: 'lag p50 (ms)', metric: 'lag_ms', stat: 'p50' },
  { label: 'gap p99 (ms)', metric: 'gap_ms', stat: 'p99' },
  { label: 'events per read p50', metric: 'events_per_read', stat: 'p50' },
  { label: 'events per read max', metric: 'events_per_read', stat: 'max' },
  { label: 'writes per stream p50', metric: 'writes_per_stream', stat: 'p50' },
  { label: 'total p50 (ms)', metric: 'total_ms', stat: 'p50' },
];

/**
 * One column per configuration, one row per key figure (the report's own numbers). The fallback
 * when the report carries no comparison (a single bench run, or reports without rounds).
 */
export function summaryTable(cs: readonly ReportConfiguration[]): string {
  const head = `<tr><th scope="col">measure</th>${cs.map((c) => `<th scope="col">${esc(c.name)}</th>`).join('')}</tr>`;
  const rows = SUMMARY_ROWS.filter((r) => cs.some((c) => (c.metrics[r.metric]?.count ?? 0) > 0)).map(
    (r) => `<tr><th scope="row">${esc(r.label)}</th>${cs.map((c) => `<td>${esc(stat(c.metrics[r.metric], r.stat))}</td>`).join('')}</tr>`,
  );
  rows.push(`<tr><th scope="row">requests ok / measured</th>${cs.map((c) => `<td>${c.requests.ok} / ${c.requests.measured}</td>`).join('')}</tr>`);
  rows.push(`<tr><th scope="row">error rate</th>${cs.map((c) => `<td>${esc(fmtNum(c.scalars['error_rate'] ?? null))}</td>`).join('')}</tr>`);
  return scrollTable('summary', `<table class="summary"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`);
}

/** Every metric of a configuration with samples, as the terminal table prints it. */
export function metricsTable(c: ReportConfiguration): string {
  const head = `<tr><th scope="col">metric</th>${STATS.map((s) => `<th scope="col">${s}</th>`).join('')}<th scope="col">count</th></tr>`;
  const rows = Object.entries(c.metrics)
    .filter(([, m]) => m.count > 0)
    .map(([name, m]) => `<tr><th scope="row">${esc(name)}</th>${STATS.map((s) => `<td>${esc(stat(m, s))}</td>`).join('')}<td>${m.count}</td></tr>`);
  return scrollTable(`${c.name}: every metric`, `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`);
}

/** `bench --definitions TOOL`: the same streams under that tool's names (docs/metrics.md), stats in the tool's unit. */
function definitionsTable(c: ReportConfiguration): string {
  const v = c.definitions!;
  const head = `<tr><th scope="col">${esc(v.tool)} name</th><th scope="col">unit</th>${STATS.map((s) => `<th scope="col">${s}</th>`).join('')}<th scope="col">count</th><th scope="col">formula</th></tr>`;
  const rows = v.figures.map((f) => {
    const cell = (x: number | null) => {
      const y = figureValue(f, x);
      return y === null ? '–' : f.unit === 's' ? y.toFixed(4) : f.unit === 'ms' ? y.toFixed(2) : fmtNum(y);
    };
    return `<tr><th scope="row">${esc(f.name)}</th><td>${f.unit}</td>${STATS.map((s) => `<td>${esc(cell(f.stats[s]))}</td>`).join('')}<td>${f.stats.count}</td><td>${esc(f.formula)}</td></tr>`;
  });
  return `<p>${esc(v.tool)}: the same streams under its names and formulas (from ${esc(v.source)})</p>` + scrollTable(`${c.name}: ${v.tool} definitions`, `<table><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`);
}

function dl(items: ReadonlyArray<[string, string]>): string {
  return `<dl class="facts">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

/** A configuration's target, requests, errors, warnings and full metric table. */
export function configurationDetails(c: ReportConfiguration, i: number): string {
  const t = c.target;
  const items: Array<[string, string]> = [
    ['target', `${t.method} ${t.url}`],
    ['HTTP', `${t.http_version ?? '?'}${t.keep_alive ? ', keep-alive' : ', new connection per request'}`],
    ['format', `${t.format} (parsed as ${t.parsed_as.join('+') || '–'})`],
    ['content type', t.content_type ?? '–'],
    ['content encoding', t.content_encoding ?? 'none'],
    ['accept encoding', t.accept_encoding ?? '–'],
  ];
  if (t.embedded_server !== null) items.push(['embedded server', `flush policy ${t.embedded_server.flush_policy}`]);
  items.push(
    ['started', c.started_at],
    ['duration', `${fmtMs(c.duration_ms)} ms`],
    ['requests', `${c.requests.measured} measured (${c.requests.ok} ok, ${c.requests.failed} failed), ${c.requests.warmup} warmup`],
    ['errors', Object.entries(c.errors).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'],
    ['scalars', Object.entries(c.scalars).map(([k, v]) => `${k} ${fmtNum(v)}`).join(', ')],
  );
  if (c.goodput !== undefined) items.push(['goodput', `${c.goodput.good} of ${c.goodput.measured} requests met ${c.goodput.slo}`]);
  if (c.stream_integrity !== undefined) items.push(['stream integrity', Object.entries(c.stream_integrity).map(([k, n]) => `${k} ${n}`).join(', ')]);
  const view = c.definitions === undefined ? '' : definitionsTable(c);
  const warnings = c.warnings.length === 0 ? '' : `<ul class="warnings">${c.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`;
  return (
    `<section class="config" aria-labelledby="config-${i}-title"><h3 id="config-${i}-title">${esc(c.name)}</h3>` +
    dl(items) + warnings + metricsTable(c) + view + '</section>'
  );
}

/** Shell-style quoting for display: what to type to run it again. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The run's facts: command, when, tool and Node versions, machine. */
export function runFacts(report: Report): string {
  const m = report.machine;
  return dl([
    ['command', ['notebook-stream', ...report.args.map(shellQuote)].join(' ')],
    ['created', report.created_at],
    ['tool', `${report.tool.name} ${report.tool.version}`],
    ['Node', report.node.version],
    ['machine', `${m.nproc} × ${m.cpu_model}, ${m.platform}/${m.arch}, ${fmtBytes(m.total_memory_bytes)} memory`],
    ['configurations', report.configurations.map((c) => c.name).join(', ')],
  ]);
}
