import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Report } from '../src/model/report.js';
import { mergeWarnings, warningText, type ReportWarning } from '../src/model/warnings.js';
import { reportErrors } from '../src/report/validate-report.js';
import { cliRun } from './helpers/cli-run.js';
import { startServer } from './helpers/start-server.js';

/**
 * SSE with one invalid UTF-8 byte (0xFF) in its first event, then 10 000 small events: enough
 * timeline entries that bench summarises each stream as its own batch and merges the batches
 * (load-summary.ts), where the old regex summed the 8 of "UTF-8" into "UTF-48".
 */
const TAIL = Buffer.from('data: {"text":"x"}\n\n'.repeat(10_000));
async function oneInvalidByteServer() {
  return startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(Buffer.concat([Buffer.from('data: {"text":"a'), Buffer.from([0xff]), Buffer.from('b"}\n\n'), TAIL]));
  });
}

/** The warnings a loaded shared machine cannot add (client_bottleneck depends on its load). */
const steady = (r: Report) => r.configurations[0]!.warnings.filter((w) => w.code !== 'client_bottleneck');

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-warnings-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Issue 24: warnings were free text merged by a regex that summed every number, so six streams
 * with one invalid byte each reported "invalid UTF-16 replaced by U+FFFD" (the 8 of UTF-8 summed
 * across batches). Now the warning is `{ code, count, details }` and only counts add.
 */
test('bench -n 6 against a server that sends one invalid byte: the warning counts 6 characters, in its own words', async (t) => {
  const srv = await oneInvalidByteServer();
  t.after(() => srv.close());
  const dir = await tempDir(t);
  const out = path.join(dir, 'r.json');
  const r = await cliRun(['bench', srv.url, '-n', '6', '--warmup', '0', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /warning: invalid UTF-8 replaced by U\+FFFD: 6 characters\n/);
  assert.ok(!/UTF-(?!8 )/.test(r.stdout), r.stdout);
  const report = JSON.parse(await readFile(out, 'utf8')) as Report;
  assert.deepEqual(reportErrors(report), []);
  assert.deepEqual(steady(report), [{ code: 'invalid_utf8', count: 6, details: {} }]);
  // Warnings come last in the table, after the notes.
  const lines = r.stdout.trimEnd().split('\n');
  const first = lines.findIndex((l) => l.startsWith('warning: '));
  assert.ok(first > 0 && lines.slice(first).every((l) => l.startsWith('warning: ')), r.stdout);

  // merge adds the counts of equal warnings: two such reports say 12.
  const merged = await cliRun(['merge', out, out, '--json', '--no-out']);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(steady(JSON.parse(merged.stdout) as Report), [{ code: 'invalid_utf8', count: 12, details: {} }]);
});

test('mergeWarnings adds counts (and additive details) of equal warnings, keeps different ones apart', () => {
  const utf8 = (count: number): ReportWarning => ({ code: 'invalid_utf8', count, details: {} });
  const usage = (count: number, streams: number): ReportWarning => ({ code: 'llm_no_usage', count, details: { streams } });
  const cpu = (url: string): ReportWarning => ({ code: 'server_cpu_unreadable', count: 1, details: { url } });
  const merged = mergeWarnings([
    [utf8(1), usage(1, 4), cpu('http://a/metrics')],
    [utf8(8), usage(2, 6), cpu('http://b/metrics'), cpu('http://a/metrics')],
  ]);
  assert.deepEqual(merged, [utf8(9), usage(3, 10), { ...cpu('http://a/metrics'), count: 2 }, cpu('http://b/metrics')]);
  assert.deepEqual(merged.map(warningText), [
    'invalid UTF-8 replaced by U+FFFD: 9 characters',
    '3 of 10 LLM streams sent no usage: their output tokens are their content events',
    'server_cpu_ms_per_stream: http://a/metrics is not readable Prometheus text (2 times)',
    'server_cpu_ms_per_stream: http://b/metrics is not readable Prometheus text',
  ]);
  const input = [utf8(1)];
  mergeWarnings([input, input]);
  assert.deepEqual(input, [utf8(1)], 'the inputs are not changed');
});

test('version-1 reports (warnings as text) are still read by report, gate and merge', async (t) => {
  const srv = await oneInvalidByteServer();
  t.after(() => srv.close());
  const dir = await tempDir(t);
  const v2File = path.join(dir, 'v2.json');
  const r = await cliRun(['bench', srv.url, '-n', '2', '--warmup', '0', '--out', v2File]);
  assert.equal(r.code, 0, r.stderr);
  const v2 = JSON.parse(await readFile(v2File, 'utf8')) as Report;
  const v1 = { ...v2, schemaVersion: 1, configurations: v2.configurations.map((c) => ({ ...c, warnings: ['invalid UTF-8 replaced by U+FFFD: 2 characters'] })) };
  v2.configurations[0]!.warnings = steady(v2);
  await writeFile(v2File, JSON.stringify(v2));
  const v1File = path.join(dir, 'v1.json');
  await writeFile(v1File, JSON.stringify(v1));

  const shown = await cliRun(['report', v1File]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /warning: invalid UTF-8 replaced by U\+FFFD: 2 characters\n/);
  const gate = await cliRun(['gate', v1File, '--threshold', 'error_rate<=0']);
  assert.equal(gate.code, 0, gate.stderr);
  assert.match(gate.stdout, /warning: invalid UTF-8 replaced by U\+FFFD: 2 characters/);
  const merged = await cliRun(['merge', v1File, v2File, '--json', '--no-out']);
  assert.equal(merged.code, 0, merged.stderr);
  const report = JSON.parse(merged.stdout) as Report;
  assert.equal(report.schemaVersion, 2);
  assert.deepEqual(steady(report), [
    { code: 'legacy', count: 1, details: { message: 'invalid UTF-8 replaced by U+FFFD: 2 characters' } },
    { code: 'invalid_utf8', count: 2, details: {} },
  ]);
});
