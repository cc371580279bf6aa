import { NO_COLORS, tableStyle, type Colors } from './chalk.js';
import Table from 'cli-table3';
import type { CheckHeadersResult, Finding } from '../model/header-findings.js';

function mark(f: Finding, chalk: Colors): string {
  switch (f.outcome) {
    case 'pass':
      return chalk.green('ok');
    case 'skip':
      return chalk.dim('–');
    case 'note':
      return chalk.cyan('note');
    case 'fail':
      return f.severity === 'error' ? chalk.red('FAIL') : f.severity === 'warn' ? chalk.yellow('WARN') : chalk.cyan('info');
  }
}

/** check-headers as a table: one row per rule, then the fixes of the failing ones. */
export function renderCheckHeaders(r: CheckHeadersResult, chalk: Colors = NO_COLORS): string {
  const lines: string[] = [];
  const res = r.response;
  lines.push(
    chalk.bold(`${r.request.method} ${r.url}`) +
      `  HTTP/${res.httpVersion ?? '?'}${res.statusLineVersion !== null && res.statusLineVersion !== 'HTTP/1.1' ? ` (${res.statusLineVersion})` : ''}` +
      `, status ${res.status ?? '–'}, headers ${res.headersMs ?? '–'} ms, first event ${res.firstEventMs ?? '–'} ms, ${res.events} events, end ${res.endMs} ms` +
      (res.error !== null ? chalk.red(`, ${res.error.kind}: ${res.error.message}`) : ''),
  );
  if (r.direct !== null) lines.push(`backend judged directly: ${r.direct}`);
  const table = new Table({
    head: ['', 'rule', 'severity', 'seen', 'why'],
    colWidths: [6, 28, 10, 36, 52],
    wordWrap: true,
    style: tableStyle(chalk),
  });
  for (const f of r.findings) table.push([mark(f, chalk), f.id, f.severity, f.seen, f.why]);
  lines.push(table.toString());
  const fixes = r.findings.filter((f) => f.outcome === 'fail' && f.fix !== null);
  if (fixes.length > 0) {
    lines.push(chalk.bold('fixes'));
    const seen = new Set<string>();
    for (const f of fixes) {
      if (seen.has(f.fix!.id)) continue;
      seen.add(f.fix!.id);
      lines.push(`- ${f.fix!.title} (${f.id})`);
      for (const [stack, snippet] of Object.entries(f.fix!.snippets)) {
        lines.push(chalk.dim(`    ${stack}:`));
        for (const l of String(snippet).split('\n')) lines.push(`      ${l}`);
      }
    }
  }
  const failing = r.failing.length === 0 ? chalk.green('no failing rule') : chalk.red(`failing: ${r.failing.join(', ')}`);
  lines.push(failing);
  return lines.join('\n') + '\n';
}

export function serializeCheckHeaders(r: CheckHeadersResult): string {
  return JSON.stringify({ command: 'check-headers', ...r }, null, 2) + '\n';
}
