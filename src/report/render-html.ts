import type { Lang } from './compare-labels.js';
import { browserTimelinePlot } from './html/browser-timeline-plot.js';
import { cdfPlot } from './html/cdf-plot.js';
import { compareTable } from './html/compare-table.js';
import { esc } from './html/escape.js';
import { eventsPerReadPlot } from './html/events-per-read-plot.js';
import { firstChunkPlot } from './html/first-chunk-plot.js';
import { STYLE } from './html/style.js';
import { configurationDetails, runFacts, summaryTable } from './html/tables.js';
import { timelinePlot } from './html/timeline-plot.js';
import type { Report } from '../model/report.js';

/**
 * No script, no fetch, nothing from elsewhere: even if a string escaped our escaping, the browser
 * would run no script and load nothing.
 */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const SECTIONS = [
  ['summary', 'Summary'],
  ['latency', 'First-content latency'],
  ['timelines', 'Timelines'],
  ['bundling', 'Events per read'],
  ['configurations', 'Configurations'],
] as const;

export interface HtmlOptions {
  /** Row and column names of the comparison table (compare's `--lang`); the page itself is English. */
  lang?: Lang;
}

/**
 * Several configurations: compare's table (settings, measures, change and significance), then the
 * summary of every configuration. One: the summary alone.
 */
function comparisonSection(report: Report, lang: Lang): string {
  const n = report.configurations.length;
  const summary =
    `<p class="note">${n === 1 ? 'One configuration' : `${n} configurations`}: the report's own statistics, ` +
    'computed from its histograms over every measured stream.</p>' +
    summaryTable(report.configurations);
  if (n === 1) return summary;
  return `<h3 id="comparison-h">Comparison</h3>${compareTable(report, lang)}<h3>Every configuration</h3>${summary}`;
}

/**
 * The report as one self-contained HTML page (exporter interface: report in, text out): the
 * comparison table, the first-content CDF and histogram, the typical and worst stream timelines,
 * events per read, and the run's facts. Inline SVG drawn here; light and dark mode; every plot
 * titled, with axis units, a text description and its data as a table.
 */
export function renderHtml(report: Report, options: HtmlOptions = {}): string {
  const cs = report.configurations;
  const title = `notebook-stream ${report.command} · ${cs.map((c) => c.name).join(' vs ')}`;
  // bench --browser: the page's timelines next to the wire's, after the wire's own.
  const browser = browserTimelinePlot(cs, 'plot-browser-timeline');
  const sections = browser === '' ? SECTIONS : [...SECTIONS.slice(0, 3), ['browser', 'Wire and page'] as const, ...SECTIONS.slice(3)];
  const nav = `<nav aria-label="Sections"><ul>${sections.map(([id, label]) => `<li><a href="#${id}">${label}</a></li>`).join('')}</ul></nav>`;
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="color-scheme" content="light dark">' +
    `<meta name="generator" content="${esc(report.tool.name)} ${esc(report.tool.version)}">` +
    `<title>${esc(title)}</title><style>${STYLE}</style></head>\n<body><main>` +
    `<header><h1>${esc(title)}</h1>${runFacts(report)}${nav}</header>` +
    `<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>${comparisonSection(report, options.lang ?? 'en')}</section>\n` +
    `<section id="latency" aria-labelledby="latency-h"><h2 id="latency-h">First-content latency</h2>` +
    '<p class="note">first_content_ms: from the intended start of a request to the arrival of the first event that carries payload (the guide\'s first-chunk latency).</p>' +
    `${cdfPlot(cs, 'plot-cdf')}\n${firstChunkPlot(cs, 'plot-first-chunk')}</section>\n` +
    `<section id="timelines" aria-labelledby="timelines-h"><h2 id="timelines-h">Timelines</h2>${timelinePlot(cs, 'plot-timeline')}</section>\n` +
    (browser === '' ? '' : `<section id="browser" aria-labelledby="browser-h"><h2 id="browser-h">Wire and page</h2>${browser}</section>\n`) +
    `<section id="bundling" aria-labelledby="bundling-h"><h2 id="bundling-h">Events per read</h2>${eventsPerReadPlot(cs, 'plot-events-per-read')}</section>\n` +
    `<section id="configurations" aria-labelledby="configurations-h"><h2 id="configurations-h">Configurations</h2>` +
    `${cs.map((c, i) => configurationDetails(c, i)).join('\n')}</section>` +
    '</main></body></html>\n'
  );
}
