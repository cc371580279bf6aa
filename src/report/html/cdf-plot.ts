import type { ReportConfiguration } from '../../model/report.js';
import { esc } from './escape.js';
import { fmtMs, px } from './format.js';
import { axes, figure, H, legend, M, seriesClass, svg, W } from './frame.js';
import { cdfSteps, recordedBuckets, type Bucket } from './histogram-data.js';
import { logDomain, logTicks, place, scaleOf } from './scale.js';

export const CDF_PERCENTILES = ['p50', 'p90', 'p99', 'p99.9'] as const;

/** The metric both latency plots draw: the guide's first-chunk latency. */
export const FIRST_CONTENT = 'first_content_ms';

/** Buckets of first_content_ms per configuration (empty when it had no samples). */
export function firstContentBuckets(cs: readonly ReportConfiguration[]): Bucket[][] {
  return cs.map((c) => {
    const m = c.metrics[FIRST_CONTENT];
    return m === undefined ? [] : recordedBuckets(m);
  });
}

/** The shared log domain of the first-content plots, in ms. */
export function firstContentDomain(all: readonly Bucket[][]): [number, number] | null {
  const values = all.flat().map((b) => b.value);
  if (values.length === 0) return null;
  return logDomain(Math.min(...values), Math.max(...values));
}

/**
 * The latency CDF of first_content_ms, one step line per configuration on a log-scaled x axis:
 * each recorded histogram bucket is one step (two polyline points: the fraction below it, then
 * including it). The report's percentiles are marked on each line.
 */
export function cdfPlot(cs: readonly ReportConfiguration[], id: string): string {
  const all = firstContentBuckets(cs);
  const domain = firstContentDomain(all);
  const title = 'Latency CDF of first content (first_content_ms)';
  if (domain === null) {
    return figure({ id, kind: 'cdf', title, description: 'No stream carried a content event: nothing to plot.', svg: '' });
  }
  const x = scaleOf(domain[0], domain[1], true, M.left, W - M.right);
  const y = scaleOf(0, 1, false, H - M.bottom, M.top);
  const parts: string[] = [
    axes(
      { scale: x, ticks: logTicks(domain[0], domain[1]), unit: 'ms', title: 'first content (ms, log scale)' },
      { scale: y, ticks: [0, 0.25, 0.5, 0.75, 0.9, 1], unit: 'fraction', title: 'streams at or below (%)' },
    ),
  ];
  const rows: string[] = [];
  const words: string[] = [];
  all.forEach((buckets, i) => {
    const c = cs[i]!;
    const m = c.metrics[FIRST_CONTENT];
    if (buckets.length === 0 || m === undefined) {
      words.push(`${c.name}: no samples`);
      return;
    }
    const pts: string[] = [];
    for (const s of cdfSteps(buckets)) {
      const xp = px(place(x, s.value));
      pts.push(`${xp},${px(place(y, s.from))}`, `${xp},${px(place(y, s.to))}`);
    }
    parts.push(`<polyline class="cdf-line ${seriesClass(i)}" data-config="${i}" data-buckets="${buckets.length}" points="${pts.join(' ')}"/>`);
    const marks: string[] = [];
    for (const p of CDF_PERCENTILES) {
      const v = m[p];
      if (v === null) continue;
      const frac = Number(p.slice(1)) / 100;
      parts.push(
        `<circle class="pct-mark ${seriesClass(i)}" data-config="${i}" data-pct="${p}" cx="${px(place(x, v))}" cy="${px(place(y, frac))}" r="4">` +
          `<title>${esc(c.name)} ${p}: ${esc(fmtMs(v))} ms</title></circle>`,
      );
      marks.push(`${p} ${fmtMs(v)} ms`);
    }
    rows.push(
      `<tr><th scope="row">${esc(c.name)}</th><td>${m.count}</td>${CDF_PERCENTILES.map((p) => `<td>${esc(fmtMs(m[p]))}</td>`).join('')}<td>${esc(fmtMs(m.max))}</td></tr>`,
    );
    words.push(`${c.name}: ${m.count} streams, ${marks.join(', ')}, max ${fmtMs(m.max)} ms`);
  });
  // Guides at the marked fractions, labelled on the right, so a percentile reads off the y axis.
  for (const p of ['p50', 'p90', 'p99'] as const) {
    const yp = px(place(y, Number(p.slice(1)) / 100));
    parts.unshift(`<line class="pct-guide" aria-hidden="true" x1="${M.left}" x2="${W - M.right}" y1="${yp}" y2="${yp}"/>`);
  }
  const table =
    `<table><thead><tr><th scope="col">configuration</th><th scope="col">streams</th>${CDF_PERCENTILES.map((p) => `<th scope="col">${p} (ms)</th>`).join('')}<th scope="col">max (ms)</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`;
  return figure({
    id,
    kind: 'cdf',
    title,
    description:
      'Share of streams whose first content event arrived within the time on the x axis (log scale); ' +
      'dots mark p50, p90, p99 and p99.9. A line far to the right is slow; a long flat top is a tail.',
    findings: words,
    svg: svg(id, parts.join('')),
    legend: legend(cs.map((c) => c.name)),
    table,
  });
}
