import { NO_COLORS, type Colors } from './chalk.js';
import type { Lang } from './compare-labels.js';
import { gateJunit } from './junit.js';
import { gateMarkdown, reportMarkdown } from './markdown.js';
import { renderCompare } from './render-compare.js';
import { renderHtml } from './render-html.js';
import { renderGate } from './render-gate.js';
import { renderTable } from './render-table.js';
import type { Report } from '../model/report.js';
import { serializeReport } from './write-report.js';
import type { GateOutcome } from '../model/gate-outcome.js';

/**
 * One exporter interface, as hyperfine's: data in, text out; the caller decides whether the text
 * goes to a file or stdout (and, for a table, its colours). Reports export as table, JSON, Markdown or HTML; a gate's outcome
 * (the gates evaluated over a report) also as JUnit.
 */
export type Exporter<T> = (data: T) => string;

export const REPORT_FORMATS = ['table', 'json', 'markdown', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
export const GATE_FORMATS = ['table', 'json', 'markdown', 'junit'] as const;
export type GateFormat = (typeof GATE_FORMATS)[number];

/** Several configurations: the comparison table; one: bench's table. */
export function reportExporter(format: ReportFormat, lang: Lang = 'en', colors: Colors = NO_COLORS): Exporter<Report> {
  switch (format) {
    case 'table':
      return (r) => (r.configurations.length > 1 ? renderCompare(r, lang, { colors }) : renderTable(r, colors));
    case 'json':
      return serializeReport;
    case 'markdown':
      return (r) => reportMarkdown(r, lang);
    case 'html':
      return (r) => renderHtml(r, { lang });
  }
}

export function gateExporter(format: GateFormat, colors: Colors = NO_COLORS): Exporter<GateOutcome> {
  switch (format) {
    case 'table':
      return (o) => renderGate(o, colors);
    case 'json':
      return (o) => JSON.stringify(o, null, 2) + '\n';
    case 'markdown':
      return gateMarkdown;
    case 'junit':
      return gateJunit;
  }
}
