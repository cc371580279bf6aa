import type { ReportConfiguration } from '../../model/report.js';
import { esc } from './escape.js';
import { fmtMs, fmtNum, px } from './format.js';
import { axes, countPanel, figure, M, noSamples, seriesClass, svg, W } from './frame.js';
import { logBins, type Bin } from './histogram-data.js';
import { FIRST_CONTENT, firstContentBuckets, firstContentDomain } from './cdf-plot.js';
import { logTicks, place, scaleOf } from './scale.js';

/** Height of one configuration's panel; panels stack and share the x axis. */
const PANEL_H = 190;
const PANEL_TOP = 30;

/** Bins per decade: fine enough that the data spans ~24 bins, between 10 and 100 per decade. */
export function binsPerDecade(min: number, max: number): number {
  const span = Math.log10(Math.max(max, 0.001) / Math.max(min, 0.001));
  return Math.min(100, Math.max(10, Math.round(24 / Math.max(span, 0.01))));
}

/**
 * The first-chunk histogram: first_content_ms of each configuration in log-spaced bins (one panel
 * per configuration, same x axis as the CDF), so two modes (a lump at a flush interval) or a
 * separate tail show as separate bars. Each bar is one non-empty bin; the bars of a panel add up
 * to the configuration's stream count.
 */
export function firstChunkPlot(cs: readonly ReportConfiguration[], id: string): string {
  const all = firstContentBuckets(cs);
  const domain = firstContentDomain(all);
  const title = 'First-chunk latency histogram (first_content_ms)';
  if (domain === null) {
    return figure({ id, kind: 'first-chunk', title, description: 'No stream carried a content event: nothing to plot.', svg: '' });
  }
  const values = all.flat().map((b) => b.value);
  const perDecade = binsPerDecade(Math.min(...values), Math.max(...values));
  const x = scaleOf(domain[0], domain[1], true, M.left, W - M.right);
  const parts: string[] = [];
  const words: string[] = [];
  const rows: string[] = [];
  all.forEach((buckets, i) => {
    const c = cs[i]!;
    const bins: Bin[] = logBins(buckets, domain[0], perDecade);
    const { yt, y, open } = countPanel(i, c.name, Math.max(...bins.map((b) => b.count)), PANEL_H, PANEL_TOP);
    const g: string[] = [
      ...open,
      axes(
        { scale: x, ticks: logTicks(domain[0], domain[1]), unit: 'ms', title: 'first content (ms, log scale)' },
        { scale: y, ticks: yt.ticks, unit: 'count', title: 'streams' },
        PANEL_H,
        PANEL_TOP,
      ),
    ];
    if (bins.length === 0) g.push(noSamples(PANEL_H, PANEL_TOP));
    for (const b of bins) {
      const x0 = place(x, b.lo);
      const x1 = place(x, b.hi);
      const y0 = place(y, b.count);
      g.push(
        `<rect class="bar ${seriesClass(i)}" data-count="${b.count}" x="${px(x0 + 0.5)}" y="${px(y0)}" width="${px(Math.max(1, x1 - x0 - 1))}" ` +
          `height="${px(PANEL_H - M.bottom - y0)}"><title>${esc(c.name)}: ${b.count} streams in ${esc(fmtMs(b.lo))}–${esc(fmtMs(b.hi))} ms</title></rect>`,
      );
      rows.push(`<tr><th scope="row">${esc(c.name)}</th><td>${esc(fmtMs(b.lo))}</td><td>${esc(fmtMs(b.hi))}</td><td>${b.count}</td></tr>`);
    }
    g.push('</g>');
    parts.push(g.join(''));
    const m = c.metrics[FIRST_CONTENT];
    const peak = bins.reduce<Bin | null>((a, b) => (a === null || b.count > a.count ? b : a), null);
    words.push(
      bins.length === 0 || m === undefined
        ? `${c.name}: no samples`
        : `${c.name}: ${fmtNum(m.count)} streams in ${bins.length} bins from ${fmtMs(m.min)} to ${fmtMs(m.max)} ms, most (${peak!.count}) in ${fmtMs(peak!.lo)}–${fmtMs(peak!.hi)} ms`,
    );
  });
  const height = PANEL_H * cs.length;
  const table =
    '<table><thead><tr><th scope="col">configuration</th><th scope="col">from (ms)</th><th scope="col">to (ms)</th><th scope="col">streams</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`;
  return figure({
    id,
    kind: 'first-chunk',
    title,
    description:
      `How many streams got their first content event in each time bin (${perDecade} bins per decade, log scale). ` +
      'Two humps mean two populations, e.g. streams that waited for a flush timer and streams that did not.',
    findings: words,
    svg: svg(id, parts.join(''), height),
    table,
  });
}
