import { NO_COLORS, type Colors } from './chalk.js';
import Table from 'cli-table3';
import { compareGrid, type Cell } from './compare-cells.js';
import type { Lang } from './compare-labels.js';
import { buildComparison } from './compare-model.js';
import type { Report } from '../model/report.js';
import { warningText } from '../model/warnings.js';

function paint(c: Cell, chalk: Colors): string {
  if (c.tone === 'better') return chalk.green(c.text);
  if (c.tone === 'worse') return chalk.red(c.text);
  return c.text;
}

/**
 * The guide's before/after table from a report's configurations: settings first, then one row per
 * measure, a column per configuration, then the change of each against the first. Colour only with
 * `chalk` of a level above 0 (the CLI decides it by docs/cli.md's rules).
 */
export function renderCompare(report: Report, lang: Lang, chalk: Colors = NO_COLORS): string {
  const grid = compareGrid(buildComparison(report), lang);
  const n = report.configurations.length;
  const table = new Table({
    head: grid.head,
    style: { head: chalk.level > 0 ? ['cyan'] : [], border: chalk.level > 0 ? ['grey'] : [] },
    colAligns: ['left', ...Array.from({ length: n }, () => 'right' as const), ...Array.from({ length: n - 1 }, () => 'left' as const)],
  });
  for (const [i, row] of grid.rows.entries()) {
    table.push(row.map((c, j) => (j === 0 && i >= grid.settingRows && row[0]!.text.includes('first_content_ms') ? chalk.bold(c.text) : paint(c, chalk))));
  }
  const m = report.machine;
  const lines = [
    table.toString(),
    chalk.dim(grid.footer),
    chalk.dim(`${m.nproc} CPUs (${m.cpu_model}), Node ${report.node.version}, notebook-stream ${report.tool.version}`),
  ];
  for (const c of report.configurations) {
    const errors = Object.entries(c.errors);
    if (errors.length > 0) lines.push(chalk.red(`${c.name}: errors ${errors.map(([k, v]) => `${k} ${v}`).join(', ')}`));
    for (const w of c.warnings) lines.push(chalk.yellow(`${c.name}: warning: ${warningText(w)}`));
  }
  return lines.join('\n') + '\n';
}
