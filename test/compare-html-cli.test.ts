import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { serializeReport } from '../src/report/write-report.js';
import { htmlFixture } from './helpers/html-fixture.js';
import { runCli } from './helpers/serve-process.js';


const cli = (args: string[]) => runCli(args, 60_000, { NO_COLOR: '1' });

test('compare saved reports --html writes the page with the comparison table; --html - is refused', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-compare-html-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'r.json');
  await writeFile(file, serializeReport(htmlFixture()));
  const out = path.join(dir, 'sub', 'cmp.html');
  const { code, stdout, stderr } = await cli(['compare', file, '--html', out, '--no-out']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /not judged/);
  const html = await readFile(out, 'utf8');
  assert.match(html, /<table class="compare">/);
  assert.equal((html.match(/<polyline class="cdf-line/g) ?? []).length, 2);

  const dash = await cli(['compare', file, '--html', '-', '--no-out']);
  assert.equal(dash.code, 2);
  assert.match(dash.stderr, /--html/);
});
