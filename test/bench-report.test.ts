import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { decodeHistogram } from '../src/model/metric-histogram.js';
import { runBench } from '../src/probe/run-bench.js';
import { summarizeRun } from '../src/probe/summarize-run.js';
import { buildReport } from '../src/model/build-report.js';
import { reportEnvironment } from '../src/probe/machine-facts.js';
import type { Report, ReportTarget } from '../src/model/report.js';
import { reportErrors } from '../src/report/validate-report.js';
import { writeReport } from '../src/report/write-report.js';
import { specFor } from './helpers/bench-spec.js';
import { startServer } from './helpers/start-server.js';

const TARGET: ReportTarget = {
  url: 'http://127.0.0.1/',
  method: 'GET',
  http_version: '1.1',
  keep_alive: true,
  format: 'auto',
  parsed_as: [],
  content_type: null,
  content_encoding: null,
  accept_encoding: 'gzip, deflate, br',
  embedded_server: null,
};

/**
 * A server whose n-th stream's first event comes after 100 × n ms: the worst and typical are known.
 * 100 ms apart, so a loaded machine's timer lateness cannot reorder them.
 */
async function staggered() {
  let n = 0;
  return startServer((_req, res) => {
    const delay = 100 * n++;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    const now = () => performance.timeOrigin + performance.now();
    const timer = setTimeout(() => {
      res.write(`data: {"seq":0,"t":${now()},"t_src":${now()},"text":"a"}\n\n`);
      res.end(`event: done\ndata: {"seq":1,"t":${now()},"t_src":${now()},"status":"ok","stats":{"events":1,"bytes":1,"writes":2,"server_first_chunk_ms":${delay}}}\n\n`);
    }, delay);
    res.on('close', () => clearTimeout(timer));
  });
}

test('a report round-trips through its schema; histograms decode to the same statistics', async (t) => {
  const srv = await staggered();
  t.after(() => srv.close());
  const run = await runBench(await specFor(srv.url), { requests: 5, warmup: 1 });
  const config = summarizeRun('staggered', TARGET, run, 1);
  const report = buildReport('bench', ['bench', srv.url], [config], reportEnvironment());
  assert.deepEqual(reportErrors(report), []);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-report-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = await writeReport(report, path.join(dir, 'nested', 'r.json'));
  const back = JSON.parse(await readFile(file, 'utf8')) as Report;
  assert.deepEqual(reportErrors(back), []);
  assert.deepEqual(back, report);

  const c = back.configurations[0]!;
  assert.deepEqual(c.requests, { measured: 5, warmup: 1, ok: 5, failed: 0 });
  const fc = c.metrics['first_content_ms']!;
  assert.equal(fc.count, 5);
  const h = decodeHistogram(fc.histogram);
  assert.equal(h.totalCount, 5);
  assert.equal(Math.round(h.maxValue) / 1000, fc.max);
  // Warmup stream 0 (no delay) is left out: the measured ones waited 100…500 ms.
  assert.ok(fc.min! >= 99, `min ${fc.min}`);
  assert.equal(c.metrics['events_per_stream']!.p50, 2);
  assert.equal(c.metrics['writes_per_stream']!.max, 2);
  // 3 significant digits: a value is reported within 0.1 % (HdrHistogram's bucket precision).
  const sfc = c.metrics['server_first_chunk_ms']!.max!;
  assert.ok(sfc >= 500 && sfc <= 500.5, `server_first_chunk_ms max ${sfc}`);
  assert.equal(c.metrics['lag_ms']!.min, 0, 'lag is relative to the smallest difference');

  // typical = median first content (request 3: 300 ms), worst = request 5 (500 ms), one more kept.
  assert.deepEqual(
    c.timelines.map((x) => [x.role, x.request]),
    [
      ['typical', 3],
      ['worst', 5],
      ['kept', 1],
    ],
  );
  const worst = c.timelines[1]!;
  assert.deepEqual(worst.events.map((e) => [e.event, e.content]), [
    ['message', true],
    ['done', false],
  ]);
  assert.ok(worst.events[0]!.t !== null && worst.events[0]!.t_src !== null);
});

test('the schema rejects what is not a report', async () => {
  assert.ok(reportErrors({}).length > 0);
  const srvless = buildReport('bench', [], [
    summarizeRun('empty', TARGET, { records: [], startedAt: new Date(), wallMs: 0, cpuUs: 0, loopDelay: (await import('../src/model/metric-histogram.js')).newHistogram() }, 0),
  ], reportEnvironment());
  assert.deepEqual(reportErrors(srvless), []);
  const bad = structuredClone(srvless) as unknown as { schemaVersion: number; configurations: Array<{ errors: Record<string, number> }> };
  bad.configurations[0]!.errors['made_up_kind'] = 1;
  assert.ok(reportErrors(bad).some((e) => e.includes('errors')), reportErrors(bad).join('\n'));
  bad.schemaVersion = 1; // version 1 is read only through upgradeReport (model/upgrade-report.ts)
  assert.ok(reportErrors(bad).some((e) => e.includes('schemaVersion')));
});
