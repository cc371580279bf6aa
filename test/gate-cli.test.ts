import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { METRIC_NAMES } from '../src/model/metric-catalog.js';
import { cliRun, tableCells } from './helpers/cli-run.js';
import { handConfig, handReport, stats } from './helpers/hand-report.js';
import { parseXml } from './helpers/xml.js';
import type { GateOutcome } from '../src/model/gate-outcome.js';

async function fixture(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-gate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const report = handReport([handConfig('adaptive', { first_content_ms: stats('ms', { count: 8, p50: 21, p99: 25 }) }, { server_cpu_ms_per_stream: 1.2 })], 'bench');
  const baseline = handReport([handConfig('adaptive', { first_content_ms: stats('ms', { count: 8, p50: 18, p99: 24 }) })], 'bench');
  const several = handReport([handConfig('guide-before', {}), handConfig('adaptive', { first_content_ms: stats('ms', { count: 8, p50: 21, p99: 25 }) })]);
  const files = { report: path.join(dir, 'r.json'), baseline: path.join(dir, 'b.json'), several: path.join(dir, 's.json'), dir };
  await writeFile(files.report, JSON.stringify(report));
  await writeFile(files.baseline, JSON.stringify(baseline));
  await writeFile(files.several, JSON.stringify(several));
  return files;
}

test('gate: exit 0 when every threshold holds, 1 when one fails, with a table of measured values', async (t) => {
  const f = await fixture(t);
  const ok = await cliRun(['gate', f.report, '--threshold', 'first_content_ms.p99 < 150', '--threshold', 'error_rate < 0.01']);
  assert.equal(ok.code, 0, ok.stderr);
  const rows = tableCells(ok.stdout);
  assert.deepEqual(rows.map((r) => [r[0], r[1], r[2]]), [
    ['gate', 'measured', 'result'],
    ['first_content_ms.p99 < 150', '25', 'pass'],
    ['error_rate < 0.01', '0', 'pass'],
  ]);
  const bad = await cliRun(['gate', f.report, '--threshold', 'first_content_ms.p99 < 20', '--threshold', 'error_rate < 0.01']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /1 of 2 gates failed/);
  // A metric with no samples fails, it never passes silently.
  const none = await cliRun(['gate', f.report, '--threshold', 'ttft_ms.p99 < 100000']);
  assert.equal(none.code, 1);
  assert.match(none.stdout, /no samples/);
});

test('gate usage errors exit 2: unknown metric (listing the valid names), no gates, several configurations', async (t) => {
  const f = await fixture(t);
  const unknown = await cliRun(['gate', f.report, '--threshold', 'first_chunk_ms.p99 < 150']);
  assert.equal(unknown.code, 2);
  for (const m of METRIC_NAMES) assert.ok(unknown.stderr.includes(m), m);
  const stat = await cliRun(['gate', f.report, '--threshold', 'first_content_ms.p95 < 150']);
  assert.equal(stat.code, 2);
  assert.match(stat.stderr, /unknown stat 'p95'.*Stats: p50 p90 p99 p99\.9 min max mean stdev count/);
  const nothing = await cliRun(['gate', f.report]);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /nothing to check/);
  const several = await cliRun(['gate', f.several, '--threshold', 'first_content_ms.p99 < 150']);
  assert.equal(several.code, 2);
  assert.match(several.stderr, /holds 2 configurations \(guide-before, adaptive\): pick one with --select NAME/);
  const selected = await cliRun(['gate', f.several, '--select', 'adaptive', '--threshold', 'first_content_ms.p99 < 150']);
  assert.equal(selected.code, 0, selected.stderr);
  const noBase = await cliRun(['gate', f.report, '--max-regression', 'first_content_ms.p50:10%']);
  assert.equal(noBase.code, 2);
  assert.match(noBase.stderr, /--max-regression needs --baseline/);
  await writeFile(path.join(f.dir, 'junk.json'), '{"schemaVersion":1}');
  const junk = await cliRun(['gate', path.join(f.dir, 'junk.json'), '--threshold', 'error_rate < 1']);
  assert.equal(junk.code, 2);
  assert.match(junk.stderr, /junk\.json'?: not a notebook-stream report/);
});

test('gate --baseline --max-regression is direction-aware; --min-delta-ms forgives noise; --config reads gates.json', async (t) => {
  const f = await fixture(t);
  // 18 → 21 ms is +16.7 %.
  const fail = await cliRun(['gate', f.report, '--baseline', f.baseline, '--max-regression', 'first_content_ms.p50:10%', '--json']);
  assert.equal(fail.code, 1);
  const o = JSON.parse(fail.stdout) as GateOutcome;
  assert.equal(o.checks[0]!.regression_pct, 16.67);
  assert.equal(o.checks[0]!.limit, 18);
  const forgiven = await cliRun(['gate', f.report, '--baseline', f.baseline, '--max-regression', 'first_content_ms.p50:10%', '--min-delta-ms', '5']);
  assert.equal(forgiven.code, 0, forgiven.stdout);
  const gates = path.join(f.dir, 'gates.json');
  await writeFile(gates, JSON.stringify({ thresholds: ['first_content_ms.p99 < 150', 'server_cpu_ms_per_stream < 5'], max_regression: ['first_content_ms.p99:10%'] }));
  const cfg = await cliRun(['gate', f.report, '--baseline', f.baseline, '--config', gates, '--json']);
  assert.equal(cfg.code, 0, cfg.stderr);
  assert.deepEqual((JSON.parse(cfg.stdout) as GateOutcome).checks.map((c) => [c.expression, c.passed]), [
    ['first_content_ms.p99 < 150', true],
    ['server_cpu_ms_per_stream < 5', true],
    ['first_content_ms.p99:10%', true],
  ]);
  await writeFile(gates, JSON.stringify({ thresholds: ['first_content_ms.p99 << 150'] }));
  const badCfg = await cliRun(['gate', f.report, '--config', gates]);
  assert.equal(badCfg.code, 2);
  assert.match(badCfg.stderr, /unknown operator '<<'/);
});

test('gate --junit writes JUnit that parses back; $GITHUB_STEP_SUMMARY gets the Markdown appended', async (t) => {
  const f = await fixture(t);
  const junit = path.join(f.dir, 'out', 'gates.xml');
  const summary = path.join(f.dir, 'summary.md');
  await writeFile(summary, '# earlier step\n');
  const r = await cliRun(['gate', f.report, '--threshold', 'first_content_ms.p99 < 150', '--threshold', 'first_content_ms.p50 < 1', '--junit', junit], { GITHUB_STEP_SUMMARY: summary });
  assert.equal(r.code, 1);
  const root = parseXml(await readFile(junit, 'utf8'));
  assert.equal(root.name, 'testsuites');
  const cases = root.children[0]!.children.filter((c) => c.name === 'testcase');
  assert.deepEqual(cases.map((c) => [c.attributes['name'], c.children.some((x) => x.name === 'failure')]), [
    ['first_content_ms.p99 < 150', false],
    ['first_content_ms.p50 < 1', true],
  ]);
  const text = await readFile(summary, 'utf8');
  assert.ok(text.startsWith('# earlier step\n### notebook-stream gate: failed (1 of 2 hold)\n'), text);
  assert.match(text, /\| \*\*FAIL\*\* \| `first_content_ms\.p50 < 1` \| 21 \|/);
  // A second run appends again.
  await cliRun(['gate', f.report, '--threshold', 'error_rate < 1'], { GITHUB_STEP_SUMMARY: summary });
  assert.match(await readFile(summary, 'utf8'), /failed \(1 of 2 hold\)[\s\S]*passed \(1 of 1 hold\)/);
});

test('bench --threshold gates in one step: exit 1 on a failed threshold, 2 on a bad one before any request', async () => {
  const body = JSON.stringify({ notebook_id: 'n1', operation: { type: 'ping', count: 3, interval_ms: 5 }, lang: 'en' });
  const fail = await cliRun(['bench', '-n', '2', '--body', body, '--no-out', '--threshold', 'first_content_ms.p50 < 0.001', '--threshold', 'error_rate < 0.5']);
  assert.equal(fail.code, 1, fail.stderr);
  assert.match(fail.stdout, /first_content_ms\.p50 < 0\.001[^\n]*FAIL/);
  const pass = await cliRun(['bench', '-n', '2', '--body', body, '--no-out', '--json', '--threshold', 'first_content_ms.p50 < 10000']);
  assert.equal(pass.code, 0, pass.stderr);
  JSON.parse(pass.stdout);
  assert.match(pass.stderr, /all 1 gates hold/);
  const bad = await cliRun(['bench', 'http://127.0.0.1:9/', '--no-out', '--threshold', 'first_content_ms.p50 = 1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown operator '='/);
});

test('gate --config: gates.json is checked by its JSON Schema; a mistake exits 2 naming the file and the JSON path', async (t) => {
  const f = await fixture(t);
  const gates = path.join(f.dir, 'gates.json');
  await writeFile(gates, JSON.stringify({ threshold: [], thresholds: ['first_content_ms.p99 < 150', 5] }));
  const bad = await cliRun(['gate', f.report, '--config', gates]);
  assert.equal(bad.code, 2, bad.stderr);
  // The library names the option by its field (config); the CLI prints the flag.
  assert.match(bad.stderr, /^notebook-stream: --config '[^']*gates\.json': /);
  assert.match(bad.stderr, /\/: unknown key 'threshold' \(known: thresholds, max_regression\)/);
  assert.match(bad.stderr, /\/thresholds\/1: must be string/);
  await writeFile(gates, JSON.stringify({ $schema: '../schema/gates.schema.json', max_regression: ['first_content_ms.p50:10%', 'first_content_ms.p50 10%'] }));
  const expr = await cliRun(['gate', f.report, '--baseline', f.baseline, '--config', gates]);
  assert.equal(expr.code, 2, expr.stderr);
  assert.match(expr.stderr, /--config '[^']*gates\.json' \/max_regression\/1 'first_content_ms\.p50 10%': expected METRIC\.STAT:N%/);
});
