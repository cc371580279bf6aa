import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Report } from '../src/model/report.js';
import { chromium } from './helpers/browser-bench.js';
import { runCli } from './helpers/serve-process.js';

test("compare --browser: the guide's table gains the page's rows, per round, and the page ranks the policies as the wire does", { timeout: 180_000 }, async (t) => {
  if (chromium(t) === null) return;
  const r = await runCli(['compare', '--flush-policies', 'guide-before,adaptive', '--rounds', '2', '-n', '2', '--warmup', '0', '--browser', '--json', '--no-out'], 170_000);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  const [before, adaptive] = report.configurations;
  for (const c of [before!, adaptive!]) {
    assert.deepEqual(c.browser?.requests, { measured: 4, ok: 4, failed: 0 }, c.name);
    assert.equal(c.metrics['browser_first_content_ms']?.count, 4);
    for (const round of c.rounds ?? []) assert.equal(round.metrics['browser_first_content_ms']?.count, 2, `${c.name} round ${round.round} carries the page's metrics`);
  }
  // guide-before holds the first token for its 100 ms timer: later on the wire, and so on the page.
  const wire = (c: typeof before) => c!.metrics['first_content_ms']!.p50!;
  const page = (c: typeof before) => c!.metrics['browser_first_content_ms']!.p50!;
  assert.ok(wire(before) > wire(adaptive), `wire: guide-before ${wire(before)} ms vs adaptive ${wire(adaptive)} ms`);
  assert.ok(page(before) > page(adaptive), `page: guide-before ${page(before)} ms vs adaptive ${page(adaptive)} ms`);
  const table = await runCli(['compare', '--flush-policies', 'guide-before,adaptive', '--rounds', '1', '-n', '1', '--warmup', '0', '--browser', '--no-out', '--lang', 'en'], 170_000);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /page first chunk p50/);
  // The legend under the table is folded to the terminal's width: read it as one line.
  assert.match(table.stdout.replace(/\n/g, ' '), /page first chunk = browser_first_content_ms/);
});
