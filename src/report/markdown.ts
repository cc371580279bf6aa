import { compareGrid } from './compare-cells.js';
import type { Lang } from './compare-labels.js';
import { buildComparison } from './compare-model.js';
import type { Report, ReportConfiguration } from '../model/report.js';
import type { GateOutcome } from '../model/gate-outcome.js';
import { warningText, type ReportWarning } from '../model/warnings.js';

/** A table cell: pipes escaped, newlines folded (GitHub-flavoured Markdown tables). */
function md(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The warnings as a list after the table (empty when there are none). */
function warningList(items: ReadonlyArray<{ prefix: string; w: ReportWarning }>): string {
  return items.length === 0 ? '' : `\n${items.map(({ prefix, w }) => `- ${prefix}warning: ${md(warningText(w))}`).join('\n')}\n`;
}

function table(head: string[], align: Array<'left' | 'right'>, rows: string[][]): string {
  const out = [`| ${head.map(md).join(' | ')} |`, `|${align.map((a) => (a === 'right' ? '---:' : '---')).join('|')}|`];
  for (const r of rows) out.push(`| ${r.map(md).join(' | ')} |`);
  return out.join('\n');
}

/** The comparison table as Markdown, with the per-round ranges the significance rests on. */
export function compareMarkdown(report: Report, lang: Lang): string {
  const cmp = buildComparison(report);
  const grid = compareGrid(cmp, lang);
  const n = cmp.columns.length;
  const align: Array<'left' | 'right'> = ['left', ...Array.from({ length: n }, () => 'right' as const), ...Array.from({ length: n - 1 }, () => 'left' as const)];
  const body = table(grid.head, align, grid.rows.map((r) => r.map((c) => (c.tone === 'plain' ? c.text : `**${c.text}**`))));
  const warnings = report.configurations.flatMap((c) => c.warnings.map((w) => ({ prefix: `${md(c.name)}: `, w })));
  return `${body}\n\n${grid.footer}\n${warningList(warnings)}`;
}

const STATS = ['p50', 'p90', 'p99', 'max'] as const;

/** One configuration's metrics as Markdown (what `bench` measured). */
export function configurationMarkdown(c: ReportConfiguration): string {
  const rows: string[][] = [];
  for (const [name, m] of Object.entries(c.metrics)) {
    if (m.count === 0) continue;
    rows.push([name, ...STATS.map((s) => (m[s] === null ? '–' : String(m[s]))), String(m.count)]);
  }
  const head = `**${c.name}**: ${c.requests.measured} requests (${c.requests.ok} ok, ${c.requests.failed} failed) to ${c.target.url}`;
  const warnings = warningList(c.warnings.map((w) => ({ prefix: '', w })));
  return `${head}\n\n${table(['metric', ...STATS, 'count'], ['left', 'right', 'right', 'right', 'right', 'right'], rows)}\n${warnings}`;
}

/** A report as Markdown: the comparison when it holds several configurations, else its metrics. */
export function reportMarkdown(report: Report, lang: Lang): string {
  return report.configurations.length > 1 ? compareMarkdown(report, lang) : configurationMarkdown(report.configurations[0]!);
}

const value = (v: number | null) => (v === null ? 'no samples' : String(v));

/** The gate outcome as Markdown: what `$GITHUB_STEP_SUMMARY` receives. */
export function gateMarkdown(o: GateOutcome): string {
  const failed = o.checks.filter((c) => !c.passed).length;
  const title = `### notebook-stream gate: ${o.passed ? 'passed' : 'failed'} (${o.checks.length - failed} of ${o.checks.length} hold)`;
  const about = `Configuration \`${o.configuration}\` of \`${o.report}\`${o.baseline === null ? '' : `, baseline \`${o.baseline.configuration}\` of \`${o.baseline.report}\``}.`;
  const rows = o.checks.map((c) => [c.passed ? 'pass' : '**FAIL**', `\`${c.expression}\``, value(c.value), c.detail]);
  const warnings = warningList(o.warnings.map((w) => ({ prefix: '', w })));
  return `${title}\n\n${about}\n\n${table(['result', 'gate', 'measured', 'detail'], ['left', 'left', 'right', 'left'], rows)}\n${warnings}`;
}
