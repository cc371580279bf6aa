import { NO_COLORS, tableStyle, type Colors } from './chalk.js';
import Table from 'cli-table3';
import { compareGrid, type Cell } from './compare-cells.js';
import type { Lang } from './compare-labels.js';
import { buildComparison } from './compare-model.js';
import type { Report } from '../model/report.js';
import { warningText } from '../model/warnings.js';
import { wrapText } from './wrap-text.js';

function paint(c: Cell, chalk: Colors): string {
  if (c.tone === 'better') return chalk.green(c.text);
  if (c.tone === 'worse') return chalk.red(c.text);
  return c.text;
}

/** How the terminal table is laid out. */
export interface CompareLayout {
  /** The terminal's width in columns (the CLI passes stdout's, else 100). */
  width?: number;
  /** Every word: the long row names with metric ids and worded change cells (`--wide`). */
  wide?: boolean;
  /** The colours (the CLI decides them by docs/cli.md's rules); default none. */
  colors?: Colors;
}

function drawTable(grid: ReturnType<typeof compareGrid>, n: number, compact: boolean, chalk: Colors): string {
  const table = new Table({
    head: grid.head,
    // Compact: no rule between rows, half the height (as bench's table).
    ...(compact ? { chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } } : {}),
    style: tableStyle(chalk),
    colAligns: ['left', ...Array.from({ length: n }, () => 'right' as const), ...Array.from({ length: n - 1 }, () => 'left' as const)],
  });
  for (const [i, row] of grid.rows.entries()) {
    table.push(row.map((c, j) => (j === 0 && i === grid.settingRows ? chalk.bold(c.text) : paint(c, chalk))));
  }
  return table.toString();
}

/** Display width of a drawn table: its top border, which holds no wide characters or colour codes. */
function tableWidth(drawn: string): number {
  const top = drawn.split('\n', 1)[0] ?? '';
  return top.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/**
 * The guide's before/after table from a report's configurations: settings first, then one row per
 * measure, a column per configuration, then the change of each against the first. It fits the
 * terminal (issue 32: the worded table was ~260 columns): short row names and marked change cells,
 * with the metric ids and marks in a legend; change columns numbered when names are still too
 * long. `wide` prints every word. Colour only with `colors` of a level above 0.
 */
export function renderCompare(report: Report, lang: Lang, layout: CompareLayout = {}): string {
  const chalk = layout.colors ?? NO_COLORS;
  const cmp = buildComparison(report);
  const n = report.configurations.length;
  const width = layout.width ?? 100;
  let grid = compareGrid(cmp, lang, { compact: layout.wide !== true });
  let drawn = drawTable(grid, n, layout.wide !== true, chalk);
  if (layout.wide !== true && tableWidth(drawn) > width && n > 1) {
    grid = compareGrid(cmp, lang, { compact: true, numberedChanges: true });
    drawn = drawTable(grid, n, true, chalk);
  }
  const m = report.machine;
  const lines = [
    drawn,
    ...grid.footer.split('\n').flatMap((l) => (layout.wide === true ? [l] : wrapText(l, width))).map((l) => chalk.dim(l)),
    chalk.dim(`${m.nproc} CPUs (${m.cpu_model}), Node ${report.node.version}, notebook-stream ${report.tool.version}`),
  ];
  for (const c of report.configurations) {
    const errors = Object.entries(c.errors);
    if (errors.length > 0) lines.push(chalk.red(`${c.name}: errors ${errors.map(([k, v]) => `${k} ${v}`).join(', ')}`));
    for (const w of c.warnings) lines.push(chalk.yellow(`${c.name}: warning: ${warningText(w)}`));
  }
  return lines.join('\n') + '\n';
}
