import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHistogram } from '../src/model/metric-histogram.js';
import { LoadRunner, type LoadPlan } from '../src/probe/load-runner.js';
import { LoadSummary } from '../src/probe/load-summary.js';
import type { StreamRecord } from '../src/model/record.js';
import { summarizeRun } from '../src/probe/summarize-run.js';
import { mergeReports } from '../src/model/merge-reports.js';
import { buildReport } from '../src/model/build-report.js';
import { reportEnvironment } from '../src/probe/machine-facts.js';
import type { ReportTarget } from '../src/model/report.js';
import { reportErrors } from '../src/report/validate-report.js';
import { newHistogram } from '../src/model/metric-histogram.js';
import { specFor } from './helpers/bench-spec.js';

const ENV = reportEnvironment();
import { startLoadServer } from './helpers/load-server.js';

const TARGET: ReportTarget = {
  url: 'http://127.0.0.1/',
  method: 'GET',
  http_version: '1.1',
  keep_alive: true,
  format: 'auto',
  parsed_as: [],
  content_type: null,
  content_encoding: null,
  accept_encoding: null,
  embedded_server: null,
};

const PLAN: LoadPlan = {
  model: 'closed',
  concurrency: 1,
  rate: 0,
  arrival: 'constant',
  requests: 10,
  durationMs: null,
  warmup: 0,
  maxInFlight: 1,
  connections: 1,
};

async function runAll(url: string, plan: Partial<LoadPlan>, keepAlive = true) {
  const records: StreamRecord[] = [];
  const p = { ...PLAN, ...plan };
  const runner = new LoadRunner(await specFor(url, { keepAlive }), p, (r) => records.push(r));
  const run = await runner.run();
  return { records, run };
}

test('closed model: -c 8 keeps 8 streams open at once on 8 kept-alive connections', async (t) => {
  const srv = await startLoadServer(() => 150);
  t.after(() => srv.close());
  const { records, run } = await runAll(srv.url, { concurrency: 8, requests: 24, connections: 8 });
  assert.equal(records.length, 24);
  assert.ok(records.every((r) => r.error === null), JSON.stringify(records.find((r) => r.error !== null)?.error));
  assert.equal(srv.maxActive(), 8, 'the server saw 8 simultaneous streams');
  assert.equal(srv.connections(), 8);
  assert.deepEqual(run.connections, { opened: 8, reused: 16 });
  assert.equal(records.filter((r) => r.reusedConnection).length, 16);
  assert.equal(new Set(records.map((r) => r.connection)).size, 8);
  // A new connection's request carries connect_ms; a reused one does not.
  for (const r of records) assert.equal(r.connectUs === null, r.reusedConnection);
});

test('keep-alive reuse and --no-keep-alive: the server counts connections', async (t) => {
  const srv = await startLoadServer();
  t.after(() => srv.close());
  const kept = await runAll(srv.url, { concurrency: 2, requests: 10, connections: 2 });
  assert.equal(srv.connections(), 2);
  assert.deepEqual(kept.run.connections, { opened: 2, reused: 8 });
  const before = srv.connections();
  const fresh = await runAll(srv.url, { concurrency: 2, requests: 10, connections: 2 }, false);
  assert.equal(srv.connections() - before, 10, 'a new connection per request');
  assert.deepEqual(fresh.run.connections, { opened: 10, reused: 0 });
  assert.ok(fresh.records.every((r) => !r.reusedConnection && r.connectUs !== null && r.error === null));
});

test('open model holds its rate whatever the responses take', async (t) => {
  // Responses take 300 ms, far longer than the 25 ms between arrivals: a closed loop would slow down.
  const srv = await startLoadServer(() => 300);
  t.after(() => srv.close());
  const { records } = await runAll(srv.url, { model: 'open', rate: 40, requests: null, durationMs: 2000, maxInFlight: 400, connections: 400 });
  assert.equal(records.length, 80, 'intended starts at 0, 25, … 1975 ms');
  assert.ok(records.every((r) => r.error === null));
  assert.equal(srv.arrivals.length, 80);
  const span = srv.arrivals[79]! - srv.arrivals[0]!;
  assert.ok(span > 1700 && span < 2400, `80 arrivals over ${span.toFixed(0)} ms (1975 intended)`);
  // Sent on time: the median lateness is small (generous: a shared CI machine).
  const late = records.map((r) => r.startUs / 1000).sort((a, b) => a - b);
  assert.ok(late[40]! < 50, `median send lateness ${late[40]} ms`);
});

test('a stall raises the latency of requests scheduled during it; service time stays low', async (t) => {
  // One connection; the 5th request stalls 600 ms. Requests due meanwhile wait for the connection.
  const STALL = 600;
  const srv = await startLoadServer((n) => (n === 4 ? STALL : 0));
  t.after(() => srv.close());
  const { records } = await runAll(srv.url, { model: 'open', rate: 20, requests: 24, maxInFlight: 100, connections: 1 });
  assert.equal(records.length, 24);
  assert.ok(records.every((r) => r.error === null));
  const byIndex = [...records].sort((a, b) => a.index - b.index);
  const stalled = byIndex[4]!;
  const stallStart = stalled.originMs + stalled.startUs / 1000;
  const stallEnd = stalled.originMs + stalled.endUs / 1000;
  assert.ok(stallEnd - stallStart >= STALL - 10);
  const during = byIndex.filter((r) => r.index > 4 && r.originMs < stallEnd - 100);
  assert.ok(during.length >= 8, `${during.length} requests were due during the stall`);
  for (const r of during) {
    const latency = r.firstContentUs! / 1000;
    const service = (r.firstContentUs! - r.startUs) / 1000;
    // Counted from when it was due, it waited at least until the stall ended…
    assert.ok(latency >= stallEnd - r.originMs - 5, `request ${r.index}: ${latency} ms from its intended start`);
    // …but the server served it at once when it finally went out.
    assert.ok(service < 100, `request ${r.index}: service ${service} ms`);
  }
  // The summary carries both views.
  const summary = new LoadSummary('stall', TARGET, 0, true);
  for (const r of records) summary.add(r);
  const c = summary.finish({ startedAt: new Date(), wallMs: 1500, cpuUs: 0, loopDelay: newHistogram(), load: LOAD });
  assert.ok(c.metrics['first_content_ms']!.max! >= STALL - 60, `first_content max ${c.metrics['first_content_ms']!.max}`);
  assert.ok(c.metrics['service_first_content_ms']!.p90! < 100, `service p90 ${c.metrics['service_first_content_ms']!.p90}`);
});

const LOAD = {
  model: 'open' as const,
  concurrency: null,
  rate: 20,
  arrival: 'constant' as const,
  max_in_flight: 100,
  connections: 1,
  connections_opened: 1,
  requests_on_reused_connections: 0,
  planned_requests: 24,
  planned_duration_s: null,
};

test('dropped: requests due while --max-in-flight are in flight are counted, not sent', async (t) => {
  const srv = await startLoadServer(() => 400);
  t.after(() => srv.close());
  const { records } = await runAll(srv.url, { model: 'open', rate: 50, requests: 20, maxInFlight: 2, connections: 2 });
  assert.equal(records.length, 20, 'every scheduled request has a record');
  const dropped = records.filter((r) => r.error?.kind === 'dropped').length;
  const sent = records.filter((r) => r.error === null).length;
  assert.equal(dropped + sent, 20);
  assert.ok(dropped >= 10, `${dropped} dropped`);
  assert.equal(srv.arrivals.length, sent, 'the server saw exactly the requests not dropped');
  assert.ok(srv.maxActive() <= 2);
  const summary = new LoadSummary('dropped', TARGET, 0, true);
  for (const r of records) summary.add(r);
  const c = summary.finish({ startedAt: new Date(), wallMs: 1000, cpuUs: 0, loopDelay: newHistogram(), load: LOAD });
  assert.equal(c.errors['dropped'], dropped);
  assert.equal(c.scalars['errors.dropped'], dropped);
  assert.deepEqual(reportErrors(buildReport('bench', [], [c], reportEnvironment())), []);
});

test('merge of two reports equals one run with the same samples; batches merge exactly too', async (t) => {
  const srv = await startLoadServer((n) => 5 + (n % 7) * 3);
  t.after(() => srv.close());
  const { records } = await runAll(srv.url, { concurrency: 3, requests: 30, connections: 3 });
  const empty = { startedAt: new Date(), wallMs: 0, cpuUs: 0, loopDelay: newHistogram() };
  const whole = summarizeRun('x', TARGET, { ...empty, records }, 0);
  const a = summarizeRun('x', TARGET, { ...empty, records: records.slice(0, 13) }, 0);
  const b = summarizeRun('x', TARGET, { ...empty, records: records.slice(13) }, 0);
  const merged = mergeReports(
    [
      { file: 'a.json', report: buildReport('bench', [], [a], ENV) },
      { file: 'b.json', report: buildReport('bench', [], [b], ENV) },
    ],
    ['merge', 'a.json', 'b.json'],
    false,
    ENV,
  );
  assert.deepEqual(reportErrors(merged), []);
  const m = merged.configurations[0]!;
  assert.deepEqual(m.requests, whole.requests);
  // lag_ms is relative to each run's own smallest difference (no clock sync): not comparable here.
  for (const name of ['first_content_ms', 'headers_ms', 'total_ms', 'gap_ms', 'events_per_stream', 'events_per_read']) {
    const { histogram: hm, ...sm } = m.metrics[name]!;
    const { histogram: hw, ...sw } = whole.metrics[name]!;
    assert.deepEqual(sm, sw, name);
    const dm = decodeHistogram(hm);
    const dw = decodeHistogram(hw);
    assert.equal(dm.totalCount, dw.totalCount, name);
    for (const p of [0, 10, 50, 90, 99, 100]) assert.equal(dm.getValueAtPercentile(p), dw.getValueAtPercentile(p), `${name} p${p}`);
  }
  assert.equal(m.timelines.find((x) => x.role === 'worst')!.first_content_ms, whole.timelines.find((x) => x.role === 'worst')!.first_content_ms);
  assert.equal(merged.merged_from!.length, 2);

  // The runner's batches (here 2 records each, so its parts are compacted too) give what one batch
  // gives, lag_ms included.
  const small = new LoadSummary('x', TARGET, 2, false, 2);
  const big = new LoadSummary('x', TARGET, 2, false, 1000);
  for (const r of records) {
    small.add(r);
    big.add(r);
  }
  const facts = { startedAt: new Date(), wallMs: 1000, cpuUs: 0, loopDelay: newHistogram(), load: { ...LOAD, model: 'closed' as const } };
  const s = small.finish(facts);
  const g = big.finish(facts);
  for (const name of Object.keys(g.metrics)) assert.deepEqual(s.metrics[name], g.metrics[name], name);
  assert.deepEqual(s.requests, g.requests);
  assert.deepEqual(s.totals, g.totals);
  assert.deepEqual(s.scalars, g.scalars);
  // Ratios of run totals too, when a batch's wire bytes per event differ from the next one's (as
  // over a compressed transport); one extra wire byte on every third record makes them differ.
  const varied = records.map((r, i) => ({ ...r, wireBytes: r.wireBytes + (i % 3 === 0 ? 1 : 0) }));
  const vs = new LoadSummary('x', TARGET, 2, false, 2);
  for (const r of varied) vs.add(r);
  const expected = summarizeRun('x', TARGET, { ...empty, records: varied }, 0).scalars['wire_bytes_per_event'];
  assert.ok(expected !== undefined);
  assert.equal(vs.finish(facts).scalars['wire_bytes_per_event'], expected);
  assert.deepEqual(s.timelines.map((x) => x.role), ['typical', 'worst', 'kept', 'kept']);
  assert.equal(s.timelines[1]!.request, g.timelines[1]!.request, 'the same worst stream');
});

test('merge refuses different targets or schema versions (usage error) unless forced', () => {
  const c = summarizeRun('x', TARGET, { startedAt: new Date(), wallMs: 0, cpuUs: 0, loopDelay: newHistogram(), records: [] }, 0);
  const other = { ...c, target: { ...c.target, url: 'http://10.0.0.1/' } };
  const a = { file: 'a.json', report: buildReport('bench', [], [c], reportEnvironment()) };
  const b = { file: 'b.json', report: buildReport('bench', [], [other], reportEnvironment()) };
  assert.throws(() => mergeReports([a, b], [], false, ENV), (e: Error & { exitCode?: number; hint?: { code: string } }) => e.exitCode === 2 && /different targets/.test(e.message) && e.hint?.code === 'NBS_HINT_FORCE' && /force/.test(e.message));
  assert.equal(mergeReports([a, b], [], true, ENV).configurations.length, 1);
  const open = { file: 'o.json', report: buildReport('bench', [], [{ ...c, load: { ...LOAD, client_bottleneck: false, runs: 1 } }], reportEnvironment()) };
  assert.throws(() => mergeReports([a, open], [], false, ENV), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /mixes load models/.test(e.message));
  const v3 = { file: 'v3.json', report: { ...a.report, schemaVersion: 3 as unknown as 2 } };
  assert.throws(() => mergeReports([a, v3], [], false, ENV), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /schema versions/.test(e.message));
});

test('warmup runs first and is flagged; an abort ends the open model at once, in-flight requests as aborted', async (t) => {
  const srv = await startLoadServer((n) => (n < 6 ? 10 : 5000));
  t.after(() => srv.close());
  const { records } = await runAll(srv.url, { concurrency: 2, requests: 4, warmup: 2, connections: 2 });
  assert.deepEqual(records.map((r) => r.warmup).sort(), [false, false, false, false, true, true]);
  assert.ok(records.filter((r) => r.warmup).every((r) => r.index < 2));

  const got: StreamRecord[] = [];
  const runner = new LoadRunner(await specFor(srv.url), { ...PLAN, model: 'open', rate: 20, requests: null, durationMs: 60_000, maxInFlight: 100, connections: 100 }, (r) => got.push(r));
  const ticks: number[] = [];
  runner.on('tick', (p) => ticks.push(p.inFlight));
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 600);
  const t0 = performance.now();
  const run = await runner.run(stop.signal);
  assert.ok(performance.now() - t0 < 3000, 'stopped well before the 60 s schedule or the 5 s responses');
  assert.equal(run.interrupted, true);
  assert.ok(got.length >= 8, `${got.length} requests`);
  assert.ok(got.every((r) => r.error?.kind === 'aborted'), JSON.stringify(got.map((r) => r.error?.kind)));
  assert.ok(ticks.some((n) => n > 0), 'tick events reported requests in flight');
});
