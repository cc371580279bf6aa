import type { ReportConfiguration } from '../../model/report.js';
import { esc } from './escape.js';
import { fmtNum, px } from './format.js';
import { axes, countPanel, figure, M, noSamples, seriesClass, svg, W } from './frame.js';
import { recordedBuckets, type Bucket } from './histogram-data.js';
import { linearTicks, place, scaleOf } from './scale.js';

const PANEL_H = 190;
const PANEL_TOP = 30;

/** Integer ticks for the "events in one read" axis. */
function countTicks(max: number): number[] {
  if (max <= 10) return Array.from({ length: max }, (_, i) => i + 1);
  return linearTicks(1, max, 6).ticks.filter((v) => v >= 1 && v <= max && Number.isInteger(v));
}

/**
 * Events per read as bars, one panel per configuration: how many socket reads completed 1, 2, 3 …
 * events (from the events_per_read histogram, every measured stream). A stream that arrives as it
 * is sent is one bar at 1; bars further right mean events were bundled somewhere on the way
 * (a flush policy, a proxy, a compressor). One bar per recorded value.
 */
export function eventsPerReadPlot(cs: readonly ReportConfiguration[], id: string): string {
  const title = 'Events per read (bundling)';
  const all: Bucket[][] = cs.map((c) => {
    const m = c.metrics['events_per_read'];
    return m === undefined ? [] : recordedBuckets(m);
  });
  const values = all.flat();
  if (values.length === 0) {
    return figure({ id, kind: 'events-per-read', title, description: 'No read completed an event: nothing to plot.', svg: '' });
  }
  const maxV = Math.max(...values.map((b) => b.value));
  const x = scaleOf(0.5, maxV + 0.5, false, M.left, W - M.right);
  const slot = place(x, 1.5) - place(x, 0.5);
  const barW = Math.max(1, Math.min(48, slot * 0.8));
  const parts: string[] = [];
  const words: string[] = [];
  const rows: string[] = [];
  all.forEach((buckets, i) => {
    const c = cs[i]!;
    const { yt, y, open } = countPanel(i, c.name, Math.max(...buckets.map((b) => b.count)), PANEL_H, PANEL_TOP);
    const g: string[] = [
      ...open,
      axes(
        { scale: x, ticks: countTicks(maxV), unit: 'count', title: 'events completed by one socket read' },
        { scale: y, ticks: yt.ticks, unit: 'count', title: 'reads' },
        PANEL_H,
        PANEL_TOP,
      ),
    ];
    let reads = 0;
    let bundled = 0;
    if (buckets.length === 0) g.push(noSamples(PANEL_H, PANEL_TOP));
    for (const b of buckets) {
      const cx = place(x, b.value);
      const y0 = place(y, b.count);
      reads += b.count;
      if (b.value > 1) bundled += b.count;
      g.push(
        `<rect class="bar ${seriesClass(i)}" data-value="${b.value}" data-count="${b.count}" x="${px(cx - barW / 2)}" y="${px(y0)}" width="${px(barW)}" ` +
          `height="${px(PANEL_H - M.bottom - y0)}"><title>${esc(c.name)}: ${b.count} reads carried ${b.value} events</title></rect>`,
      );
      // The count over each bar: a handful of bundled reads next to a thousand single ones is
      // otherwise a bar one pixel high.
      if (buckets.length <= 24) g.push(`<text class="bar-label" x="${px(cx)}" y="${px(y0 - 4)}" text-anchor="middle" aria-hidden="true">${b.count}</text>`);
      rows.push(`<tr><th scope="row">${esc(c.name)}</th><td>${b.value}</td><td>${b.count}</td></tr>`);
    }
    g.push('</g>');
    parts.push(g.join(''));
    const m = c.metrics['events_per_read'];
    words.push(
      reads === 0
        ? `${c.name}: no reads`
        : `${c.name}: ${reads} reads, ${bundled} of them (${((bundled / reads) * 100).toFixed(1)} %) carried more than one event, at most ${fmtNum(m?.max ?? null)}`,
    );
  });
  const table =
    '<table><thead><tr><th scope="col">configuration</th><th scope="col">events in the read</th><th scope="col">reads</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`;
  return figure({
    id,
    kind: 'events-per-read',
    title,
    description:
      'How many socket reads delivered 1, 2, 3 … complete events, over every measured stream. A stream delivered as it is produced is a single bar at 1; ' +
      'bars further right mean events were held and released together.',
    findings: words,
    svg: svg(id, parts.join(''), PANEL_H * cs.length),
    table,
  });
}
