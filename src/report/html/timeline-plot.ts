import type { KeptTimeline, ReportConfiguration } from '../../model/report.js';
import { esc } from './escape.js';
import { fmtMs, px } from './format.js';
import { axes, figure, M, plural, seriesClass, svg, W } from './frame.js';
import { linearTicks, place, scaleOf } from './scale.js';

const PANEL_H = 280;
const PANEL_TOP = 30;
/** Rows of the per-event table under the plot; a longer stream lists its first ones. */
export const TABLE_ROWS = 400;

/** The kept streams the plot draws: the typical and the worst of each configuration. */
export function plottedTimelines(cs: readonly ReportConfiguration[]): Array<{ config: number; tl: KeptTimeline }> {
  const out: Array<{ config: number; tl: KeptTimeline }> = [];
  cs.forEach((c, config) => {
    for (const role of ['typical', 'worst'] as const) {
      const tl = c.timelines.find((x) => x.role === role);
      if (tl !== undefined) out.push({ config, tl });
    }
  });
  return out;
}

/** One event placed on the plot: arrival (client clock) and server times shifted onto it. */
interface Placed {
  i: number;
  arrival: number;
  /** Server send time `t` on the client axis, or the event number when the stream has no stamps. */
  sent: number;
  /** `t_src` on the client axis; null when unknown. */
  src: number | null;
  hold: number | null;
}

/**
 * Server stamps are on the server's clock; arrivals are ms since the request's start on ours.
 * Shifting `t` by the stream's smallest (arrival − t) puts both on one axis with no clock sync:
 * the fastest event lies on the diagonal, and every other event's distance to the right of it is
 * its extra delay on the path (lag_ms). Streams without stamps plot the event number instead.
 */
export function placeEvents(tl: KeptTimeline): { stamped: boolean; events: Placed[] } {
  const stamped = tl.events.some((e) => e.t !== null);
  let offset = Infinity;
  for (const e of tl.events) if (e.t !== null) offset = Math.min(offset, e.arrivalUs / 1000 - e.t);
  const events: Placed[] = [];
  tl.events.forEach((e, i) => {
    const arrival = e.arrivalUs / 1000;
    if (!stamped) {
      events.push({ i, arrival, sent: i, src: null, hold: null });
      return;
    }
    if (e.t === null) return;
    const hold = e.t_src === null ? null : e.t - e.t_src;
    events.push({ i, arrival, sent: e.t + offset, src: e.t_src === null ? null : e.t_src + offset, hold });
  });
  return { stamped, events };
}

/** The panel title: short enough for the plot's width. */
function panelTitle(name: string, tl: KeptTimeline): string {
  return `${name} · ${tl.role} · request #${tl.request} · first content ${fmtMs(tl.first_content_ms)} ms`;
}

function roleWords(tl: KeptTimeline): string {
  const what = tl.role === 'typical' ? 'typical stream (median first content)' : tl.role === 'worst' ? 'worst stream (largest first content)' : 'kept stream';
  return `${what}, request #${tl.request}, first content ${fmtMs(tl.first_content_ms)} ms`;
}

/**
 * The per-event arrival timeline of the typical and the worst stream of each configuration: client
 * arrival on x, server send time `t` on y. Events that travel at once lie on the diagonal; a
 * vertical stack is a lump (one read carried events sent at different times); a point far right
 * of the diagonal was delayed on the path; the shaded bar below a point is hold_ms = t − t_src,
 * the time the event waited in the server's buffer.
 */
export function timelinePlot(cs: readonly ReportConfiguration[], id: string): string {
  const streams = plottedTimelines(cs);
  const title = 'Per-event arrival timeline: server send time vs client arrival';
  if (streams.length === 0) {
    return figure({ id, kind: 'timeline', title, description: 'The report keeps no timelines (every request failed or carried no content).', svg: '' });
  }
  const placed = streams.map((s) => placeEvents(s.tl));
  // One x scale for every panel, so a slower stream looks longer.
  const maxX = Math.max(1, ...placed.flatMap((p) => p.events.map((e) => e.arrival)));
  const xt = linearTicks(0, maxX, 6);
  const x = scaleOf(0, xt.hi, false, M.left, W - M.right);
  // One y scale per kind of panel too (server time, or event number), so the typical and the worst
  // stream compare at a glance (issue 32: their panels had different y scales).
  const stampedYs = placed.filter((p) => p.stamped).flatMap((p) => p.events.flatMap((e) => (e.src === null ? [e.sent] : [e.sent, e.src])));
  const stampedYt = linearTicks(Math.min(0, ...stampedYs), Math.max(1, ...stampedYs), 5);
  const countYt = linearTicks(0, Math.max(1, ...placed.filter((p) => !p.stamped).map((p) => p.events.length - 1)), 5);
  const parts: string[] = [];
  const words: string[] = [];
  const tables: string[] = [];
  streams.forEach(({ config, tl }, k) => {
    const c = cs[config]!;
    const { stamped, events } = placed[k]!;
    const yt = stamped ? stampedYt : countYt;
    const y = scaleOf(yt.lo, yt.hi, false, PANEL_H - M.bottom, PANEL_TOP);
    const g: string[] = [
      `<g class="panel" data-config="${config}" data-role="${tl.role}" data-events="${tl.events.length}" transform="translate(0 ${k * PANEL_H})">`,
      `<text class="panel-title" x="8" y="20">${esc(panelTitle(c.name, tl))}</text>`,
      axes(
        { scale: x, ticks: xt.ticks, unit: 'ms', title: 'arrival at the client (ms from request start)' },
        { scale: y, ticks: yt.ticks, unit: stamped ? 'ms' : 'count', title: stamped ? 'sent, server t (ms)' : 'event number' },
        PANEL_H,
        PANEL_TOP,
      ),
    ];
    if (stamped) {
      // The diagonal: sent = arrived, the fastest delivery this stream saw.
      const d = Math.min(xt.hi, yt.hi);
      g.push(`<line class="diagonal" x1="${px(place(x, Math.max(0, yt.lo)))}" y1="${px(place(y, Math.max(0, yt.lo)))}" x2="${px(place(x, d))}" y2="${px(place(y, d))}"/>`);
    }
    for (const e of events) {
      if (e.src !== null && e.hold !== null && e.hold > 0) {
        const top = place(y, e.sent);
        const bottom = place(y, e.src);
        g.push(`<rect class="hold" x="${px(place(x, e.arrival) - 3)}" y="${px(top)}" width="6" height="${px(Math.max(0.5, bottom - top))}"/>`);
      }
    }
    const rows: string[] = [];
    let lumps = 0;
    let largest = 0;
    const perRead = new Map<number, number>();
    // Lumps of payload: `done` sharing the last token's read is not one (issue 32).
    for (const e of tl.events) if (e.content) perRead.set(e.read, (perRead.get(e.read) ?? 0) + 1);
    for (const n of perRead.values()) {
      if (n > 1) lumps++;
      largest = Math.max(largest, n);
    }
    let maxHold = 0;
    // Hollow (no-content) markers first, so a `done` arriving with the last token sits under its dot.
    const drawOrder = [...events.filter((e) => !tl.events[e.i]!.content), ...events.filter((e) => tl.events[e.i]!.content)];
    for (const e of drawOrder) {
      const ev = tl.events[e.i]!;
      maxHold = Math.max(maxHold, e.hold ?? 0);
      const label =
        `#${e.i} ${ev.event}, read ${ev.read}, arrived ${fmtMs(e.arrival)} ms` +
        (stamped ? `, sent ${fmtMs(e.sent)} ms, hold ${fmtMs(e.hold)} ms` : '') +
        `, ${ev.bytes} bytes`;
      g.push(
        `<circle class="ev ${seriesClass(config)}${ev.content ? '' : ' no-content'}" data-event="${esc(ev.event)}" cx="${px(place(x, e.arrival))}" cy="${px(place(y, e.sent))}" r="3.5"><title>${esc(label)}</title></circle>`,
      );
    }
    for (const e of events) {
      const ev = tl.events[e.i]!;
      if (rows.length < TABLE_ROWS) {
        rows.push(
          `<tr><td>${e.i}</td><td>${esc(ev.event)}</td><td>${ev.read}</td><td>${esc(fmtMs(e.arrival))}</td>` +
            `<td>${stamped ? esc(fmtMs(e.sent)) : '–'}</td><td>${esc(fmtMs(e.hold))}</td><td>${stamped ? esc(fmtMs(e.arrival - e.sent)) : '–'}</td><td>${ev.bytes}</td></tr>`,
        );
      }
    }
    g.push('</g>');
    parts.push(g.join(''));
    const skipped = tl.events.length - events.length;
    words.push(
      `${c.name}, ${roleWords(tl)}: ${plural(tl.events.length, 'event')} in ${plural(perRead.size, 'read')}, ${lumps} of them with more than one content event (largest ${largest})` +
        (stamped ? `, longest hold ${fmtMs(maxHold)} ms` : ', no server stamps (event number plotted)') +
        (skipped > 0 ? `, ${skipped} unstamped events not plotted` : ''),
    );
    tables.push(
      `<table><caption>${esc(c.name)} · ${esc(roleWords(tl))}${rows.length < events.length ? ` (first ${rows.length} of ${events.length} events)` : ''}</caption>` +
        '<thead><tr><th scope="col">#</th><th scope="col">event</th><th scope="col">read</th><th scope="col">arrival (ms)</th><th scope="col">sent (ms, aligned)</th><th scope="col">hold (ms)</th><th scope="col">arrival − sent (ms)</th><th scope="col">bytes</th></tr></thead>' +
        `<tbody>${rows.join('')}</tbody></table>`,
    );
  });
  return figure({
    id,
    kind: 'timeline',
    title,
    description:
      'Each dot is one event: when it reached the client (x) against when the server sent it (y, the server stamp t shifted so the fastest event lies on the diagonal). ' +
      'Dots on the diagonal travelled at once; a vertical column of dots is a lump delivered by one read; the shaded bar under a dot is hold_ms, the time it waited in the server buffer; hollow dots carry no content.',
    findings: words,
    svg: svg(id, parts.join(''), PANEL_H * streams.length),
    legend: '<p class="key"><span class="key-dot" aria-hidden="true"></span> event <span class="key-dot hollow" aria-hidden="true"></span> no content (done, error) <span class="key-hold" aria-hidden="true"></span> hold_ms <span class="key-diag" aria-hidden="true"></span> sent = arrived</p>',
    table: tables.join(''),
  });
}
