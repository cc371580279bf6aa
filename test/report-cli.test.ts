import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { serializeReport } from '../src/report/write-report.js';
import { htmlFixture } from './helpers/html-fixture.js';
import { scripted, startServer } from './helpers/start-server.js';
import { runCli } from './helpers/serve-process.js';


const cli = (args: string[], cwd?: string) => runCli(args, 60_000, { NO_COLOR: '1' }, cwd === undefined ? {} : { cwd });

async function tmp(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-report-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const cdfLines = (html: string) => (html.match(/<polyline class="cdf-line/g) ?? []).length;

test('report FILE --html OUT writes the page (folder created) and prints no table (docs/reports.md); exit 0', async (t) => {
  const dir = await tmp(t);
  const file = path.join(dir, 'r.json');
  await writeFile(file, serializeReport(htmlFixture()));
  const out = path.join(dir, 'deep', 'r.html');
  const { code, stdout, stderr } = await cli(['report', file, '--html', out]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /html: .*r\.html/);
  assert.equal(stdout, '', 'the page is what was asked for');
  const table = await cli(['report', file]);
  assert.match(table.stdout, /first_content_ms/, 'without --html: the table');
  const html = await readFile(out, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.equal(cdfLines(html), 2);
});

test('report A B combines their configurations (a repeated name gets its file); --html - prints the page alone', async (t) => {
  const dir = await tmp(t);
  const a = path.join(dir, 'a.json');
  const b = path.join(dir, 'b.json');
  await writeFile(a, serializeReport(htmlFixture()));
  const other = htmlFixture();
  other.machine = { ...other.machine, cpu_model: 'Other CPU' };
  other.configurations = [other.configurations[1]!];
  await writeFile(b, serializeReport(other));
  const { code, stdout, stderr } = await cli(['report', a, b, '--html', '-']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^<!doctype html>/);
  assert.ok(stdout.trimEnd().endsWith('</html>'));
  assert.equal(cdfLines(stdout), 3);
  assert.ok(stdout.includes('adaptive (b.json)'), 'the second "adaptive" is named after its file');
  assert.match(stdout, /measured with a different machine \(2 × Other CPU/);

  const json = await cli(['report', a, b, '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.equal((JSON.parse(json.stdout) as { configurations: unknown[] }).configurations.length, 4);
});

test('report: a missing, non-JSON or invalid file is exit 2 naming it; no file is a usage error', async (t) => {
  const dir = await tmp(t);
  const good = path.join(dir, 'good.json');
  await writeFile(good, serializeReport(htmlFixture()));
  const notJson = path.join(dir, 'not.json');
  await writeFile(notJson, '{"schemaVersion": 1,');
  const invalid = path.join(dir, 'invalid.json');
  await writeFile(invalid, JSON.stringify({ ...htmlFixture(), configurations: [] }));
  const missing = path.join(dir, 'missing.json');
  for (const bad of [notJson, invalid, missing]) {
    const out = path.join(dir, 'x.html');
    const { code, stderr, stdout } = await cli(['report', good, bad, '--html', out]);
    assert.equal(code, 2, stderr);
    assert.ok(stderr.includes(`'${bad}'`), `names ${bad}: ${stderr}`);
    assert.equal(stdout, '');
    await assert.rejects(readFile(out), 'no page written');
  }
  const none = await cli(['report']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /missing required argument 'reports'/);
});

test('bench --html writes the page of the run; --html - is refused (stdout carries the table)', async (t) => {
  const srv = await startServer(scripted([{ delayMs: 5, data: 'data: {"text":"a"}\n\n' }, { delayMs: 5, data: 'data: {"text":"b"}\n\n' }]));
  t.after(() => srv.close());
  const dir = await tmp(t);
  const out = path.join(dir, 'bench.html');
  const { code, stdout, stderr } = await cli(['bench', srv.url, '-n', '3', '--no-out', '--html', out]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /first_content_ms/);
  const html = await readFile(out, 'utf8');
  assert.equal(cdfLines(html), 1);
  assert.match(html, /data-role="typical"/);

  const dash = await cli(['bench', srv.url, '-n', '1', '--no-out', '--html', '-']);
  assert.equal(dash.code, 2);
  assert.match(dash.stderr, /--html/);
});

test('--html where nothing can be written is exit 2 naming the flag, before bench measures anything', async (t) => {
  const dir = await tmp(t);
  const file = path.join(dir, 'r.json');
  await writeFile(file, serializeReport(htmlFixture()));
  const blocked = path.join(dir, 'r.json', 'x.html'); // a file where a folder should be
  const r = await cli(['report', file, '--html', blocked]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--html .*x\.html: cannot write there/);
  const b = await cli(['bench', 'http://127.0.0.1:9/', '-n', '1', '--no-out', '--html', blocked]);
  assert.equal(b.code, 2, 'not 3: the target is never tried');
  assert.match(b.stderr, /--html .*x\.html: cannot write there/);
});
