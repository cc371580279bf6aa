import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { recordedBuckets } from '../src/report/html/histogram-data.js';
import { renderHtml } from '../src/report/render-html.js';
import type { Report } from '../src/model/report.js';
import { htmlFixture } from './helpers/html-fixture.js';
import { missingComponent } from './helpers/system.js';
import { launchChromium, type Browser } from '../src/probe/chromium.js';

const CHROMIUM = process.env['NBS_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * The system Chromium through playwright-core, or null after skipping with the reason. Missing
 * Chromium skips locally and fails in CI (CI=true), where it is part of the machine.
 */
async function launch(t: TestContext): Promise<Browser | null> {
  const missing = (reason: string) => {
    missingComponent(t, reason);
    return null;
  };
  if (!existsSync(CHROMIUM)) return missing(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set NBS_CHROMIUM)`);
  // The probes' own launch (src/probe/chromium.ts): the same flags bench --browser uses.
  const browser = await launchChromium(CHROMIUM);
  t.after(() => browser.close());
  return browser;
}

/** Serves one file at /report.html over loopback HTTP, so every request the page makes is seen. */
async function serveFile(t: TestContext, html: string): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.url === '/report.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/report.html`;
}

interface PageFacts {
  figures: Record<string, { svgs: number; width: number; height: number }>;
  cdfPoints: number[];
  pctMarks: number;
  histogramBarSums: number[];
  timelineDots: number[];
  timelineHolds: number[];
  eprBars: string[][];
  scriptsRan: boolean;
}

/**
 * What the rendered page holds, read through the DOM. Browser code as text: the tests compile
 * without the DOM library, so Node code cannot use browser globals by mistake.
 */
const PAGE_FACTS = `(() => {
  const figures = {};
  for (const f of document.querySelectorAll('figure.plot')) {
    const svg = f.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    figures[f.dataset.plot] = { svgs: f.querySelectorAll('svg').length, width: box.width, height: box.height };
  }
  const panels = (kind) => [...document.querySelectorAll('figure[data-plot="' + kind + '"] g.panel')];
  return {
    figures,
    cdfPoints: [...document.querySelectorAll('polyline.cdf-line')].map((p) => p.points.numberOfItems),
    pctMarks: document.querySelectorAll('circle.pct-mark').length,
    histogramBarSums: panels('first-chunk').map((g) => [...g.querySelectorAll('rect.bar')].reduce((s, r) => s + Number(r.getAttribute('data-count')), 0)),
    timelineDots: panels('timeline').map((g) => g.querySelectorAll('circle.ev').length),
    timelineHolds: panels('timeline').map((g) => g.querySelectorAll('rect.hold').length),
    eprBars: panels('events-per-read').map((g) => [...g.querySelectorAll('rect.bar')].map((r) => r.getAttribute('data-value') + 'x' + r.getAttribute('data-count'))),
    scriptsRan: window.__pwned === true,
  };
})()`;

/** The focused element's outline when it is a plot box, else null. */
const FOCUSED_PLOT_OUTLINE = `(() => {
  const el = document.activeElement;
  if (el === null || !el.classList.contains('plot-scroll')) return null;
  const s = getComputedStyle(el);
  return s.outlineStyle + ' ' + s.outlineWidth;
})()`;

/** The counts the page must show, computed from the report itself. */
function expected(report: Report) {
  const cs = report.configurations;
  const fc = cs.map((c) => (c.metrics['first_content_ms'] === undefined ? [] : recordedBuckets(c.metrics['first_content_ms'])));
  const streams = cs.flatMap((c) => (['typical', 'worst'] as const).map((role) => c.timelines.find((x) => x.role === role)).filter((x) => x !== undefined));
  return {
    cdfPoints: fc.filter((b) => b.length > 0).map((b) => 2 * b.length),
    pctMarks: 4 * fc.filter((b) => b.length > 0).length,
    histogramBarSums: cs.map((c) => c.metrics['first_content_ms']?.count ?? 0),
    timelineDots: streams.map((tl) => (tl.events.some((e) => e.t !== null) ? tl.events.filter((e) => e.t !== null).length : tl.events.length)),
    timelineHolds: streams.map((tl) => tl.events.filter((e) => e.t !== null && e.t_src !== null && e.t - e.t_src > 0).length),
    eprBars: cs.map((c) => (c.metrics['events_per_read'] === undefined ? [] : recordedBuckets(c.metrics['events_per_read']).map((b) => `${b.value}x${b.count}`))),
  };
}

test('the HTML report in headless Chromium: no console errors, no requests, every plot with the report\'s series; screenshots', { timeout: 120_000 }, async (t) => {
  const browser = await launch(t);
  if (browser === null) return;
  const report = htmlFixture();
  const html = renderHtml(report);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-html-'));
  await writeFile(path.join(dir, 'report.html'), html);
  const url = await serveFile(t, html);

  for (const [mode, viewport, colorScheme] of [
    ['light', { width: 1100, height: 900 }, 'light'],
    ['dark', { width: 1100, height: 900 }, 'dark'],
    ['phone', { width: 390, height: 844 }, 'light'],
  ] as const) {
    const context = await browser.newContext({ viewport, colorScheme, javaScriptEnabled: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    // Everything but the page itself is refused, and remembered: the page must ask for nothing.
    await context.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      requests.push(u);
      return route.abort();
    });
    page.on('request', (r) => {
      if (r.url() !== url && !requests.includes(r.url())) requests.push(r.url());
    });
    const response = await page.goto(url, { waitUntil: 'load' });
    assert.equal(response?.status(), 200);
    const facts = (await page.evaluate(PAGE_FACTS)) as PageFacts;
    const want = expected(report);
    assert.deepEqual(Object.keys(facts.figures).sort(), ['cdf', 'events-per-read', 'first-chunk', 'timeline']);
    for (const [kind, f] of Object.entries(facts.figures)) {
      assert.equal(f.svgs, 1, `${mode}: ${kind} has its SVG`);
      assert.ok(f.width > 200 && f.height > 100, `${mode}: ${kind} is drawn (${f.width}×${f.height})`);
    }
    assert.deepEqual(facts.cdfPoints, want.cdfPoints);
    assert.equal(facts.pctMarks, want.pctMarks);
    assert.deepEqual(facts.histogramBarSums, want.histogramBarSums);
    assert.deepEqual(facts.timelineDots, want.timelineDots);
    assert.deepEqual(facts.timelineHolds, want.timelineHolds);
    assert.deepEqual(facts.eprBars, want.eprBars);
    assert.equal(facts.scriptsRan, false);
    // The hostile name is shown as text.
    assert.ok((await page.textContent('h1'))!.includes('<script>alert("name")</script>'));

    if (mode === 'phone') {
      // Usable at phone width: nothing but the plot boxes and tables scrolls sideways.
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      assert.ok(overflow <= 0, `the page does not scroll sideways at 390 px (overflows by ${overflow} px)`);
    } else {
      // Keyboard: Tab reaches the plots, and the focused one shows an outline.
      const outlines: string[] = [];
      for (let i = 0; i < 40 && outlines.length < 4; i++) {
        await page.keyboard.press('Tab');
        const f = (await page.evaluate(FOCUSED_PLOT_OUTLINE)) as string | null;
        if (f !== null) outlines.push(f);
      }
      assert.equal(outlines.length, 4, 'Tab reaches all four plots');
      for (const o of outlines) assert.match(o, /^solid [1-9]/);
      if (mode === 'dark') {
        const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
        assert.equal(bg, 'rgb(13, 17, 23)', 'dark mode background');
      }
    }
    const shot = path.join(dir, `report-${mode}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok((await readFile(shot)).length > 10_000);
    t.diagnostic(`screenshot: ${shot}`);
    assert.deepEqual(requests, [], `${mode}: requests besides the page`);
    assert.deepEqual(errors, [], `${mode}: console`);
    await context.close();
  }
});
