import type { BrowserTimeline } from '../../model/browser.js';
import type { KeptTimeline, ReportConfiguration } from '../../model/report.js';
import { esc } from './escape.js';
import { fmtMs, px } from './format.js';
import { axes, figure, M, W } from './frame.js';
import { linearTicks, place, scaleOf } from './scale.js';

const PANEL_H = 260;
const PANEL_TOP = 30;
const TABLE_ROWS = 400;

/** The wire and page timelines of the same requests (bench --browser keeps the page's for the wire's typical and worst). */
export function browserPairs(cs: readonly ReportConfiguration[]): Array<{ config: number; wire: KeptTimeline; page: BrowserTimeline }> {
  const out: Array<{ config: number; wire: KeptTimeline; page: BrowserTimeline }> = [];
  cs.forEach((c, config) => {
    for (const page of c.browser?.timelines ?? []) {
      if (page.role === 'kept') continue;
      const wire = c.timelines.find((t) => t.request === page.request);
      if (wire !== undefined) out.push({ config, wire, page });
    }
  });
  return out;
}

/**
 * Wire and page side by side for the same request of the same run: event number (y) against
 * arrival in ms from the request's start (x, one scale for both), the wire client's on the left,
 * the page's on the right with a bar from arrival to the animation frame that showed the event.
 */
export function browserTimelinePlot(cs: readonly ReportConfiguration[], id: string): string {
  const pairs = browserPairs(cs);
  const title = 'Wire and page, side by side: arrival of each event';
  if (pairs.length === 0) return '';
  const maxX = Math.max(
    1,
    ...pairs.flatMap(({ wire, page }) => [...wire.events.map((e) => e.arrivalUs / 1000), ...page.events.map((e) => e.paint_ms ?? e.arrival_ms)]),
  );
  const xt = linearTicks(0, maxX, 5);
  const x = scaleOf(0, xt.hi, false, M.left, W - M.right);
  const parts: string[] = [];
  const findings: string[] = [];
  const tables: string[] = [];
  pairs.forEach(({ config, wire, page }, k) => {
    const c = cs[config]!;
    const n = Math.max(wire.events.length, page.events.length);
    const yt = linearTicks(0, Math.max(1, n - 1), 5, true);
    const y = scaleOf(yt.lo, yt.hi, false, PANEL_H - M.bottom, PANEL_TOP);
    const panel = (side: 'wire' | 'page', dx: number, body: string, heading: string) =>
      `<g class="panel" data-side="${side}" data-config="${config}" data-role="${page.role}" transform="translate(${dx} ${k * PANEL_H})">` +
      `<text class="panel-title" x="8" y="20">${esc(heading)}</text>` +
      axes(
        { scale: x, ticks: xt.ticks, unit: 'ms', title: `arrival ${side === 'wire' ? 'at the wire client' : 'on the page'} (ms from request start)` },
        { scale: y, ticks: yt.ticks, unit: 'count', title: 'event number' },
        PANEL_H,
        PANEL_TOP,
      ) +
      body +
      '</g>';
    const wireDots = wire.events
      .map((e, i) => `<circle class="ev s0${e.content ? '' : ' no-content'}" cx="${px(place(x, e.arrivalUs / 1000))}" cy="${px(place(y, i))}" r="3"><title>#${i} ${esc(e.event)}, wire arrival ${esc(fmtMs(e.arrivalUs / 1000))} ms</title></circle>`)
      .join('');
    const pageDots = page.events
      .map((e, i) => {
        const cy = place(y, i);
        const bar =
          e.paint_ms === null
            ? ''
            : `<rect class="hold" x="${px(place(x, e.arrival_ms))}" y="${px(cy - 2)}" width="${px(Math.max(0.5, place(x, e.paint_ms) - place(x, e.arrival_ms)))}" height="4"/>`;
        return (
          bar +
          `<circle class="ev s1${e.content ? '' : ' no-content'}" cx="${px(place(x, e.arrival_ms))}" cy="${px(cy)}" r="3"><title>#${i}, page arrival ${esc(fmtMs(e.arrival_ms))} ms, shown ${esc(fmtMs(e.paint_ms))} ms</title></circle>`
        );
      })
      .join('');
    const head = `${c.name} · ${page.role} · request #${page.request}`;
    parts.push(panel('wire', 0, wireDots, `${head} · wire, first content ${fmtMs(wire.first_content_ms)} ms`));
    parts.push(panel('page', W, pageDots, `page (${c.browser!.api}), first content ${fmtMs(page.first_content_ms)} ms, headers ${fmtMs(page.queued_ms)} ms`));
    const lastPaint = page.events.reduce((m, e) => Math.max(m, e.paint_ms ?? 0), 0);
    findings.push(
      `${c.name}, ${page.role} stream (request #${page.request}): first content ${fmtMs(wire.first_content_ms)} ms on the wire, ${fmtMs(page.first_content_ms)} ms on the page; ` +
        `${wire.events.length} events on the wire, ${page.events.length} on the page; the last shown at ${fmtMs(lastPaint)} ms`,
    );
    const rows: string[] = [];
    for (let i = 0; i < Math.min(n, TABLE_ROWS); i++) {
      const w = wire.events[i];
      const p = page.events[i];
      rows.push(
        `<tr><td>${i}</td><td>${w === undefined ? '–' : esc(fmtMs(w.arrivalUs / 1000))}</td><td>${p === undefined ? '–' : esc(fmtMs(p.arrival_ms))}</td>` +
          `<td>${p === undefined ? '–' : esc(fmtMs(p.paint_ms))}</td><td>${p === undefined || p.paint_ms === null ? '–' : esc(fmtMs(p.paint_ms - p.arrival_ms))}</td></tr>`,
      );
    }
    tables.push(
      `<table><caption>${esc(head)}${n > TABLE_ROWS ? ` (first ${TABLE_ROWS} of ${n} events)` : ''}</caption>` +
        '<thead><tr><th scope="col">#</th><th scope="col">wire arrival (ms)</th><th scope="col">page arrival (ms)</th><th scope="col">shown (ms)</th><th scope="col">paint delay (ms)</th></tr></thead>' +
        `<tbody>${rows.join('')}</tbody></table>`,
    );
  });
  const height = PANEL_H * pairs.length;
  const chart =
    `<svg class="chart" viewBox="0 0 ${2 * W} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">` +
    `${parts.join('')}</svg>`;
  return figure({
    id,
    kind: 'browser-timeline',
    title,
    description:
      'Left: each event as the wire client read it; right: the same request read by the page in headless Chromium (the browser run), on the same time axis. ' +
      'A page dot right of its wire twin arrived later in the browser; the bar after a page dot runs to the animation frame that showed it (paint_delay_ms).',
    findings,
    svg: chart,
    legend: '<p class="key"><span class="key-dot" aria-hidden="true"></span> event <span class="key-dot hollow" aria-hidden="true"></span> no content (done, error) <span class="key-hold" aria-hidden="true"></span> arrival to the frame that showed it</p>',
    table: tables.join(''),
  });
}
