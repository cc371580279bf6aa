import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareGrid } from '../src/report/compare-cells.js';
import { buildComparison } from '../src/report/compare-model.js';
import { reportExporter } from '../src/report/exporter.js';
import { esc } from '../src/report/html/escape.js';
import { renderHtml } from '../src/report/render-html.js';
import { ADAPTIVE_SETTINGS, GUIDE_BEFORE_SETTINGS, handConfig, handReport, roundsOf, stats } from './helpers/hand-report.js';

function compareReport() {
  return handReport([
    handConfig('guide-before', { first_content_ms: stats('ms', { count: 20, p50: 200, p99: 240 }) }, {}, { rounds: roundsOf([198, 201, 205, 199, 203]), flush_settings: GUIDE_BEFORE_SETTINGS }),
    handConfig('adaptive <b>', { first_content_ms: stats('ms', { count: 20, p50: 2, p99: 30 }) }, {}, { rounds: roundsOf([2, 3, 2.5, 2.2, 2.8]), flush_settings: ADAPTIVE_SETTINGS }),
  ]);
}

test('several configurations: the page shows compare\'s table, cell for cell, with significant changes coloured', () => {
  const report = compareReport();
  const html = renderHtml(report);
  const start = html.indexOf('<table class="compare">');
  assert.ok(start > 0, 'the comparison table is there');
  const table = html.slice(start, html.indexOf('</table>', start));
  const grid = compareGrid(buildComparison(report), 'en');
  const cells = [...table.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((m) => m[1]);
  assert.deepEqual(cells, [...grid.head, ...grid.rows.flat().map((c) => c.text)].map((t) => esc(t)));
  assert.match(table, /<td class="change better">-99.0 % significant \(better\)<\/td>/);
  assert.equal((table.match(/<tr class="setting">/g) ?? []).length, grid.settingRows);
  assert.ok(html.includes(esc(grid.footer)));
  assert.ok(!html.includes('adaptive <b>'), 'names are escaped in the table too');
});

test('the comparison speaks the report\'s language when asked (compare --lang zh)', () => {
  const html = renderHtml(compareReport(), { lang: 'zh' });
  const grid = compareGrid(buildComparison(compareReport()), 'zh');
  assert.ok(html.includes(`<th scope="col">${esc(grid.head[0]!)}</th>`));
});

test('one configuration: the summary alone, no comparison table', () => {
  const r = compareReport();
  r.configurations = [r.configurations[0]!];
  const html = renderHtml(r);
  assert.ok(!html.includes('<table class="compare">'));
  assert.ok(html.includes('<table class="summary">'));
});

test('HTML is one of the report exporters: reportExporter(\'html\', lang) is renderHtml', () => {
  assert.equal(reportExporter('html', 'zh')(compareReport()), renderHtml(compareReport(), { lang: 'zh' }));
});
