import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHtml } from '../src/report/render-html.js';
import { esc } from '../src/report/html/escape.js';
import { cdfSteps, logBins, recordedBuckets } from '../src/report/html/histogram-data.js';
import { linearTicks, logDomain, logTicks } from '../src/report/html/scale.js';
import { summaryTable } from '../src/report/html/tables.js';
import { reportErrors } from '../src/report/validate-report.js';
import {
  ADAPTIVE_EPR,
  ADAPTIVE_FIRST_CONTENT_US,
  BUFFERED_EPR,
  BUFFERED_FIRST_CONTENT_US,
  HOSTILE,
  htmlFixture,
  metricOf,
} from './helpers/html-fixture.js';

/** The markup of one figure (`data-plot="KIND"`). */
function figureOf(html: string, kind: string): string {
  const start = html.indexOf(`<figure class="plot" data-plot="${kind}"`);
  assert.ok(start >= 0, `figure ${kind} present`);
  return html.slice(start, html.indexOf('</figure>', start));
}

/** The markup of each SVG panel of a figure, in order. */
function panelsOf(fig: string): string[] {
  return fig.split('<g class="panel"').slice(1).map((p) => p.slice(0, p.indexOf('</g><g class="panel"') >= 0 ? p.indexOf('</g><g class="panel"') : undefined));
}

function count(s: string, re: RegExp): number {
  return (s.match(re) ?? []).length;
}

test('the hand-built fixture is a valid report (the page is tested on what the schema allows)', () => {
  assert.deepEqual(reportErrors(htmlFixture()), []);
});

test('esc escapes the five characters that matter in content and attributes', () => {
  assert.equal(esc(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  assert.equal(esc(null), '');
  assert.equal(esc(1.5), '1.5');
});

test('scales: log domains bounded by nice values, 1-2-5 ticks over decades, round linear ticks', () => {
  assert.deepEqual(logDomain(1.42, 228), [1, 300]);
  assert.deepEqual(logDomain(0, 0.5), [0.001, 0.5]);
  // Data within a decade keeps most of the axis (issue 32: 180–210 ms was drawn across 100–1000).
  assert.deepEqual(logDomain(180, 210), [150, 300]);
  assert.deepEqual(logTicks(150, 300), [150, 200, 300]);
  assert.deepEqual(logTicks(1, 100), [1, 2, 5, 10, 20, 50, 100]);
  assert.deepEqual(logTicks(0.001, 10), [0.001, 0.01, 0.1, 1, 10]);
  assert.deepEqual(linearTicks(0, 1049, 6), { ticks: [0, 200, 400, 600, 800, 1000, 1200], lo: 0, hi: 1200 });
  assert.deepEqual(linearTicks(0, 10.35, 4, true).ticks, [0, 5, 10, 15], 'counts: whole-number steps, never 2.5');
  assert.deepEqual(linearTicks(0, 2.3, 4, true).ticks, [0, 1, 2, 3]);
});

test('histogram buckets come back from the encoded form in ms; CDF steps end at 1; bins keep every count', () => {
  const m = metricOf('ms', BUFFERED_FIRST_CONTENT_US);
  const buckets = recordedBuckets(m);
  assert.equal(buckets.length, BUFFERED_FIRST_CONTENT_US.length);
  assert.deepEqual(buckets.map((b) => b.count), [1, 1, 1, 1, 1, 1]);
  // HDR at 3 significant digits: each value within 0.1 % (a bucket's highest equivalent value).
  buckets.forEach((b, i) => assert.ok(Math.abs(b.value - BUFFERED_FIRST_CONTENT_US[i]! / 1000) <= BUFFERED_FIRST_CONTENT_US[i]! / 1000 / 1000 + 1e-9));
  const steps = cdfSteps(buckets);
  assert.equal(steps[0]!.from, 0);
  assert.equal(steps.at(-1)!.to, 1);
  const bins = logBins(recordedBuckets(metricOf('ms', ADAPTIVE_FIRST_CONTENT_US)), 1, 10);
  assert.equal(bins.reduce((s, b) => s + b.count, 0), ADAPTIVE_FIRST_CONTENT_US.length);
  assert.deepEqual(recordedBuckets(metricOf('count', [1, 1, 3])), [{ value: 1, count: 2 }, { value: 3, count: 1 }]);
  assert.deepEqual(recordedBuckets(metricOf('count', [])), []);
});

test('the summary table: exact output for one configuration', () => {
  const c = htmlFixture().configurations[1]!;
  const one = { ...c, name: 'a&b', metrics: { first_content_ms: metricOf('ms', [1500, 2500]) } };
  assert.equal(
    summaryTable([one]),
    '<div class="table-scroll" tabindex="0" role="region" aria-label="summary"><table class="summary"><thead><tr><th scope="col">measure</th><th scope="col">a&amp;b</th></tr></thead><tbody>' +
      '<tr><th scope="row">first content p50 (ms)</th><td>1.50</td></tr>' +
      '<tr><th scope="row">first content p90 (ms)</th><td>2.50</td></tr>' +
      '<tr><th scope="row">first content p99 (ms)</th><td>2.50</td></tr>' +
      '<tr><th scope="row">first content max (ms)</th><td>2.50</td></tr>' +
      '<tr><th scope="row">requests ok / measured</th><td>6 / 6</td></tr>' +
      '<tr><th scope="row">error rate</th><td>0</td></tr></tbody></table></div>',
  );
});

test('CDF: one step line per configuration with samples, two points per recorded bucket, four percentile marks', () => {
  const html = renderHtml(htmlFixture());
  const fig = figureOf(html, 'cdf');
  const lines = [...fig.matchAll(/<polyline class="cdf-line s(\d)" data-config="(\d)" data-buckets="(\d+)" points="([^"]*)"/g)];
  assert.deepEqual(lines.map((l) => l[2]), ['0', '1'], 'the failed configuration has no line');
  assert.equal(lines[0]![4]!.split(' ').length, 2 * BUFFERED_FIRST_CONTENT_US.length);
  assert.equal(lines[1]![4]!.split(' ').length, 2 * new Set(ADAPTIVE_FIRST_CONTENT_US).size);
  assert.equal(count(fig, /<circle class="pct-mark s0" data-config="0"/g), 4);
  assert.equal(count(fig, /<circle class="pct-mark s1" data-config="1"/g), 4);
  assert.match(fig, /first content \(ms, log scale\)/);
  assert.match(fig, /all failed: no samples/);
});

test('first-chunk histogram: a panel per configuration; its bars add up to the stream count', () => {
  const fig = figureOf(renderHtml(htmlFixture()), 'first-chunk');
  const panels = panelsOf(fig);
  assert.equal(panels.length, 3);
  const sums = panels.map((p) => [...p.matchAll(/<rect class="bar s\d" data-count="(\d+)"/g)].reduce((s, m) => s + Number(m[1]), 0));
  assert.deepEqual(sums, [BUFFERED_FIRST_CONTENT_US.length, ADAPTIVE_FIRST_CONTENT_US.length, 0]);
});

test('timelines: a panel for each typical and worst stream, a dot per event, a hold bar per held event', () => {
  const report = htmlFixture();
  const fig = figureOf(renderHtml(report), 'timeline');
  const panels = panelsOf(fig);
  assert.deepEqual(
    panels.map((p) => /data-config="(\d)" data-role="(\w+)" data-events="(\d+)"/.exec(p)!.slice(1).join(' ')),
    ['0 typical 4', '0 worst 3', '1 typical 4'],
  );
  // The typical and the worst stream share their y axis (server time), so they compare at a glance.
  const yTicks = (p: string) => [...p.matchAll(/<text class="tick" x="66"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join(',');
  assert.ok(yTicks(panels[0]!) !== '' && yTicks(panels[0]!) === yTicks(panels[1]!), `${yTicks(panels[0]!)} vs ${yTicks(panels[1]!)}`);
  const expect = [report.configurations[0]!.timelines[0]!, report.configurations[0]!.timelines[1]!, report.configurations[1]!.timelines[0]!];
  panels.forEach((p, i) => {
    const events = expect[i]!.events;
    assert.equal(count(p, /<circle class="ev /g), events.length, `panel ${i}: dots`);
    assert.equal(count(p, /<circle class="ev [^"]*no-content/g), events.filter((e) => !e.content).length, `panel ${i}: hollow dots`);
    const held = events.filter((e) => e.t !== null && e.t_src !== null && e.t - e.t_src > 0).length;
    assert.equal(count(p, /<rect class="hold"/g), held, `panel ${i}: hold bars`);
  });
  assert.equal(count(panels[2]!, /class="diagonal"/g), 0, 'no diagonal without server stamps');
  assert.match(fig, /no server stamps \(event number plotted\)/);
  // The last token and `done` share read 2: no lump of payload (issue 32), and done is drawn under the token.
  assert.match(fig, /4 events in 3 reads, 0 of them with more than one content event \(largest 1\)/);
  assert.ok(fig.indexOf('data-event="done" cx="422.6"') < fig.indexOf('<title>#2 '), 'the hollow done marker is drawn before (under) the content dot of its read');
});

test('events per read: a bar per recorded value with its read count', () => {
  const fig = figureOf(renderHtml(htmlFixture()), 'events-per-read');
  const panels = panelsOf(fig);
  const bars = panels.map((p) => [...p.matchAll(/<rect class="bar s\d" data-value="(\d+)" data-count="(\d+)"/g)].map((m) => `${m[1]}x${m[2]}`));
  const tally = (xs: number[]) => [...new Set(xs)].map((v) => `${v}x${xs.filter((x) => x === v).length}`);
  assert.deepEqual(bars, [tally(BUFFERED_EPR), tally(ADAPTIVE_EPR), []]);
});

test('every string from the report is escaped: no markup from a hostile server reaches the page', () => {
  const html = renderHtml(htmlFixture());
  assert.equal(count(html, /<script/gi), 0);
  assert.equal(count(html, /<img/gi), 0);
  assert.equal(count(html, /<b /gi), 0);
  assert.ok(!html.includes(HOSTILE.cpu), 'the single quote of the CPU model is escaped');
  assert.ok(html.includes(esc(HOSTILE.name)));
  assert.ok(html.includes(esc(HOSTILE.event)));
  assert.ok(html.includes(esc(HOSTILE.url)));
  assert.ok(html.includes(esc(HOSTILE.warning)));
  // Every tag in the page is one of ours.
  const tags = new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));
  const ours = ['html', 'head', 'meta', 'title', 'style', 'body', 'main', 'header', 'h1', 'h2', 'h3', 'dl', 'dt', 'dd', 'nav', 'ul', 'li', 'a', 'section', 'p', 'div', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'caption', 'figure', 'figcaption', 'details', 'summary', 'svg', 'g', 'line', 'text', 'polyline', 'circle', 'rect', 'span'];
  assert.deepEqual([...tags].filter((t) => !ours.includes(t)), []);
});

test('the page is self-contained: a CSP that forbids scripts and loads, no URL it would fetch', () => {
  const html = renderHtml(htmlFixture());
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'/);
  // Attribute names only: values (escaped, quoted) may mention anything.
  const names = html.replace(/"[^"]*"/g, '""');
  assert.equal(count(names, /<[a-z]+[^>]*\s(src|srcset|action|data|xlink:href)=/gi), 0);
  assert.equal(count(html, /<link/g), 0);
  assert.equal(count(html, /url\(/g), 0);
  assert.deepEqual([...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!).filter((h) => !h.startsWith('#')), []);
});

test('accessibility scaffolding: every plot titled, described, focusable, with a data table', () => {
  const html = renderHtml(htmlFixture());
  for (const kind of ['cdf', 'first-chunk', 'timeline', 'events-per-read']) {
    const fig = figureOf(html, kind);
    const id = /id="([^"]+)"/.exec(fig)![1]!;
    assert.match(fig, new RegExp(`<h3 id="${id}-title">`));
    assert.match(fig, new RegExp(`<figcaption id="${id}-desc">`));
    assert.match(fig, new RegExp(`<svg class="chart" viewBox="[^"]+" role="img" aria-labelledby="${id}-title ${id}-desc"`));
    assert.match(fig, /<div class="plot-scroll" tabindex="0"/);
    assert.match(fig, /<details><summary>Data as a table<\/summary><div class="table-scroll" tabindex="0"/);
  }
  assert.match(html, /@media \(prefers-color-scheme: dark\)/);
  assert.match(html, /:focus-visible/);
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
});

test('a report with no samples at all still renders every section, saying there is nothing to plot', () => {
  const r = htmlFixture();
  r.configurations = [r.configurations[2]!];
  const html = renderHtml(r);
  for (const kind of ['cdf', 'first-chunk', 'timeline', 'events-per-read']) assert.match(figureOf(html, kind), /nothing to plot|keeps no timelines/);
  assert.equal(count(html, /<svg/g), 0);
});

test('degenerate data (an empty timeline, 0 µs and 1 h samples) renders with no NaN, Infinity or undefined', () => {
  const r = htmlFixture();
  r.configurations[0]!.timelines = [{ role: 'typical', request: 0, first_content_ms: null, total_ms: 0, status: 200, reads: 0, events: [] }];
  r.configurations[1]!.metrics['first_content_ms'] = metricOf('ms', [0, 0, 3_600_000_000]);
  for (const html of [renderHtml(r), renderHtml(htmlFixture())]) {
    assert.doesNotMatch(html, /NaN|Infinity|undefined/);
  }
});
