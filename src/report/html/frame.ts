import { esc } from './escape.js';
import { px } from './format.js';
import { linearTicks, place, scaleOf, tickLabel, type Scale } from './scale.js';

/** The drawing area every plot shares (viewBox units; the SVG scales to its container). */
export const W = 640;
export const H = 300;
export const M = { left: 72, right: 30, top: 16, bottom: 48 };

export interface AxisSpec {
  scale: Scale;
  ticks: number[];
  unit: 'ms' | 'count' | 'fraction';
  /** The axis title, with its unit: "first content (ms, log scale)". */
  title: string;
}

/** Grid, ticks, tick labels and axis titles. Drawn first, so the data lies on top. */
export function axes(x: AxisSpec, y: AxisSpec, height = H, top = M.top): string {
  const bottom = height - M.bottom;
  const left = M.left;
  const right = W - M.right;
  const parts: string[] = ['<g class="axes" aria-hidden="true">'];
  for (const v of x.ticks) {
    const p = px(place(x.scale, v));
    parts.push(`<line class="grid" x1="${p}" x2="${p}" y1="${top}" y2="${bottom}"/>`);
    parts.push(`<text class="tick" x="${p}" y="${bottom + 16}" text-anchor="middle">${esc(tickLabel(v, x.unit))}</text>`);
  }
  for (const v of y.ticks) {
    const p = px(place(y.scale, v));
    parts.push(`<line class="grid" x1="${left}" x2="${right}" y1="${p}" y2="${p}"/>`);
    parts.push(`<text class="tick" x="${left - 6}" y="${p}" dy="0.32em" text-anchor="end">${esc(tickLabel(v, y.unit))}</text>`);
  }
  parts.push(`<line class="axis" x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}"/>`);
  parts.push(`<line class="axis" x1="${left}" x2="${left}" y1="${top}" y2="${bottom}"/>`);
  parts.push(`<text class="axis-title" x="${(left + right) / 2}" y="${height - 8}" text-anchor="middle">${esc(x.title)}</text>`);
  parts.push(
    `<text class="axis-title" transform="translate(14 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(y.title)}</text>`,
  );
  parts.push('</g>');
  return parts.join('');
}

/** An `<svg>` that screen readers announce as one image named by the figure's title and summary. */
export function svg(id: string, body: string, height = H): string {
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" ` +
    `preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">${body}</svg>`
  );
}

/**
 * A figure: a focusable box (keyboard users can reach and scroll it), the title, the SVG, a
 * caption that describes it in words, and the data behind it as a table in a disclosure.
 */
export function figure(opts: {
  id: string;
  kind: string;
  title: string;
  /** How to read the plot, in one or two sentences. */
  description: string;
  /** What it shows, one line per configuration or stream. */
  findings?: readonly string[];
  svg: string;
  legend?: string;
  table?: string;
}): string {
  const table = opts.table === undefined ? '' : `<details><summary>Data as a table</summary><div class="table-scroll" tabindex="0" role="region" aria-label="${esc(opts.title)}: data">${opts.table}</div></details>`;
  return (
    `<figure class="plot" data-plot="${esc(opts.kind)}" id="${opts.id}">` +
    `<h3 id="${opts.id}-title">${esc(opts.title)}</h3>` +
    (opts.legend ?? '') +
    `<div class="plot-scroll" tabindex="0" role="group" aria-labelledby="${opts.id}-title">${opts.svg}</div>` +
    `<figcaption id="${opts.id}-desc"><p>${esc(opts.description)}</p>` +
    (opts.findings === undefined || opts.findings.length === 0 ? '' : `<ul>${opts.findings.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`) +
    '</figcaption>' +
    table +
    `</figure>`
  );
}

/** The word in an empty panel, where bars would be. */
export function noSamples(height: number, top: number): string {
  return `<text class="empty" x="${(M.left + W - M.right) / 2}" y="${(top + height - M.bottom) / 2}" dy="0.32em" text-anchor="middle">no samples</text>`;
}

/** "1 read", "2 reads". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Series colours are CSS classes (s0…s7) so light and dark mode can pick their own. */
export function seriesClass(i: number): string {
  return `s${i % 8}`;
}

/** A legend as HTML (wraps at phone width, where SVG text would not). */
export function legend(names: readonly string[]): string {
  if (names.length < 2) return '';
  return `<ul class="legend">${names.map((n, i) => `<li><span class="swatch ${seriesClass(i)}" aria-hidden="true"></span>${esc(n)}</li>`).join('')}</ul>`;
}

/**
 * A panel of bar counts (one configuration of a histogram plot): its y scale with headroom over the
 * tallest bar for the bar's label, whole-number ticks, and the panel's opening tags and title.
 */
export function countPanel(i: number, name: string, top: number, panelH: number, panelTop: number): { yt: ReturnType<typeof linearTicks>; y: Scale; open: string[] } {
  const yt = linearTicks(0, Math.max(1, top) * 1.15, 4, true);
  const y = scaleOf(0, yt.hi, false, panelH - M.bottom, panelTop);
  return { yt, y, open: [`<g class="panel" data-config="${i}" transform="translate(0 ${i * panelH})">`, `<text class="panel-title" x="8" y="20">${esc(name)}</text>`] };
}
