import { compareGrid } from '../compare-cells.js';
import type { Lang } from '../compare-labels.js';
import { buildComparison } from '../compare-model.js';
import type { Report } from '../../model/report.js';
import { esc } from './escape.js';
import { scrollTable } from './tables.js';

/**
 * `compare`'s guide-style table as HTML: the settings rows, one row per measure, a column per
 * configuration, then each later configuration's change against the first. The cells are the
 * very text the terminal table and the Markdown print (compareGrid); significant changes are
 * coloured by direction, and the cell's words ("significant (better)") say it without colour.
 */
export function compareTable(report: Report, lang: Lang): string {
  const grid = compareGrid(buildComparison(report), lang);
  const head = `<tr>${grid.head.map((h, j) => `<th scope="col"${j > report.configurations.length ? ' class="change"' : ''}>${esc(h)}</th>`).join('')}</tr>`;
  const n = report.configurations.length;
  const rows = grid.rows.map((row, i) => {
    const cells = row.map((c, j) => {
      if (j === 0) return `<th scope="row">${esc(c.text)}</th>`;
      // Columns after the configurations' are the changes: words, read left-aligned.
      const cls = [j > n ? 'change' : '', c.tone === 'plain' ? '' : c.tone].filter((x) => x !== '').join(' ');
      return `<td${cls === '' ? '' : ` class="${cls}"`}>${esc(c.text)}</td>`;
    });
    return `<tr${i < grid.settingRows ? ' class="setting"' : ''}>${cells.join('')}</tr>`;
  });
  return (
    scrollTable('comparison', `<table class="compare"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`) +
    `<p class="note">${esc(grid.footer)}</p>`
  );
}
