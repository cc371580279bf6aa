import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMaxRegression, parseThreshold } from '../src/probe/gate-expression.js';
import { evaluateGates } from '../src/probe/gate.js';
import { colorsAt } from '../src/report/chalk.js';
import { formatPct } from '../src/report/compare-cells.js';
import { gateExporter, reportExporter } from '../src/report/exporter.js';
import { renderCompare } from '../src/report/render-compare.js';
import { renderTable } from '../src/report/render-table.js';
import { reportErrors } from '../src/report/validate-report.js';
import { ADAPTIVE_SETTINGS, GUIDE_BEFORE_SETTINGS, handConfig, handReport, roundsOf, stats } from './helpers/hand-report.js';
import { parseXml } from './helpers/xml.js';

/** Rounds that do not overlap for first-chunk latency, overlap for CPU; no rounds for writes. */
function twoPolicies() {
  const before = handConfig(
    'before',
    { first_content_ms: stats('ms', { count: 8, p50: 200, p99: 205.5 }), writes_per_stream: stats('count', { count: 8, p50: 3 }) },
    { server_cpu_ms_per_stream: 2 },
    { flush_settings: GUIDE_BEFORE_SETTINGS, rounds: roundsOf([199, 200, 201, 202, 198], [2, 2.1, 1.9, 2.05, 1.95]) },
  );
  const after = handConfig(
    'after',
    { first_content_ms: stats('ms', { count: 8, p50: 20, p99: 22.25 }), writes_per_stream: stats('count', { count: 8, p50: 20 }) },
    { server_cpu_ms_per_stream: 2.1 },
    { flush_settings: ADAPTIVE_SETTINGS, rounds: roundsOf([19, 20, 21, 22, 18], [1.8, 2.2, 2.4, 2.0, 2.1]) },
  );
  return handReport([before, after]);
}

function gateOutcome() {
  return evaluateGates(
    twoPolicies(),
    'r&d.json',
    {
      thresholds: [parseThreshold('first_content_ms.p99 < 150'), parseThreshold('ttft_ms.p50 < 5')],
      maxRegressions: [parseMaxRegression('first_content_ms.p50:10%')],
      minDeltaMs: 0,
    },
    'after',
    { report: handReport([handConfig('after', { first_content_ms: stats('ms', { count: 8, p50: 19 }) })]), file: 'base.json' },
  );
}

const TABLE_EN = [
  "┌───────────────────────┬───────────┬──────────┬──────────┐",
  "│ measure               │    before │    after │ Δ after  │",
  "│ flush interval        │    100 ms │     none │          │",
  "│ chars (min/buffer)    │     40/50 │     none │          │",
  "│ kernel wait           │   1000 ms │     none │          │",
  "│ first chunk p50       │ 200.00 ms │ 20.00 ms │ −90 % ✓  │",
  "│ first chunk p99       │ 205.50 ms │ 22.25 ms │ −89 % ✓  │",
  "│ held in buffer p50    │         – │        – │ –        │",
  "│ delivery lag p50      │         – │        – │ –        │",
  "│ gap p99               │         – │        – │ –        │",
  "│ events per read p50   │         – │        – │ –        │",
  "│ writes per stream p50 │         3 │       20 │ +567 % ? │",
  "│ wire bytes per event  │         – │        – │ –        │",
  "│ server CPU per stream │   2.00 ms │  2.10 ms │ +5.0 % ≈ │",
  "└───────────────────────┴───────────┴──────────┴──────────┘",
  "Δ: change against before; ✓ significantly better, ✗ worse, ≈ no significant change, ? not judged",
  "metrics: first chunk = first_content_ms, held in buffer = hold_ms, delivery lag = lag_ms, gap =",
  "gap_ms, events per read = events_per_read, writes per stream = writes_per_stream, wire bytes per",
  "event = wire_bytes_per_event, server CPU per stream = server_cpu_ms_per_stream",
  "significant: the per-round values do not overlap (5 interleaved rounds × 4 streams; false-positive",
  "rate per row 0.79 %)",
  "2 CPUs (Test CPU), Node v20.18.1, notebook-stream 0.1.0",
  "",
].join('\n');

const TABLE_EN_WIDE = [
  "┌───────────────────────────────────────────────────────────────────┬──────────────────────┬─────────────────────┬────────────────────────────────┐",
  "│ measure                                                           │               before │               after │ after vs before                │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ flush interval                                                    │               100 ms │                none │                                │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ character threshold                                               │ 40 chars, 50 at once │                none │                                │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ kernel wait (message timeout)                                     │              1000 ms │ none (event-driven) │                                │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ first-chunk latency p50 (first_content_ms)                        │            200.00 ms │            20.00 ms │ -90.0 % significant (better)   │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ first-chunk latency p99 (first_content_ms)                        │            205.50 ms │            22.25 ms │ -89.2 % significant (better)   │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ held in server buffer p50 (hold_ms)                               │                    – │                   – │ –                              │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ delivery lag p50 (lag_ms)                                         │                    – │                   – │ –                              │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ gap between events p99 (gap_ms)                                   │                    – │                   – │ –                              │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ events per read p50 (events_per_read)                             │                    – │                   – │ –                              │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ writes per stream p50 (writes_per_stream)                         │                    3 │                  20 │ +566.7 % not judged (0 rounds) │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ bytes on the wire per event (wire_bytes_per_event)                │                    – │                   – │ –                              │",
  "├───────────────────────────────────────────────────────────────────┼──────────────────────┼─────────────────────┼────────────────────────────────┤",
  "│ server CPU per stream, idle subtracted (server_cpu_ms_per_stream) │              2.00 ms │             2.10 ms │ no significant change (+5.0 %) │",
  "└───────────────────────────────────────────────────────────────────┴──────────────────────┴─────────────────────┴────────────────────────────────┘",
  "significant: the per-round values do not overlap (5 interleaved rounds × 4 streams; false-positive rate per row 0.79 %); change in % against the first column; green better, red worse",
  "2 CPUs (Test CPU), Node v20.18.1, notebook-stream 0.1.0",
  "",
].join('\n');

const MARKDOWN_ZH = [
  "| 优化项目 | before | after | 改进幅度 after 对比 before |",
  "|---|---:|---:|---|",
  "| 缓冲区刷新 | 100 ms | 无 |  |",
  "| 字符阈值 | 40 字符，满 50 立即 | 无 |  |",
  "| 消息超时（内核等待） | 1000 ms | 无（事件驱动） |  |",
  "| 首块延迟 p50（first_content_ms） | 200.00 ms | 20.00 ms | **-90.0 % 显著改善** |",
  "| 首块延迟 p99（first_content_ms） | 205.50 ms | 22.25 ms | **-89.2 % 显著改善** |",
  "| 服务器缓冲等待 p50（hold_ms） | – | – | – |",
  "| 传输延迟 p50（lag_ms） | – | – | – |",
  "| 事件间隔 p99（gap_ms） | – | – | – |",
  "| 每次读取事件数 p50（events_per_read） | – | – | – |",
  "| 每流写入次数 p50（writes_per_stream） | 3 | 20 | +566.7 % 未判断（0 轮） |",
  "| 每事件线上字节数（wire_bytes_per_event） | – | – | – |",
  "| 每流服务器 CPU，扣除空闲（server_cpu_ms_per_stream） | 2.00 ms | 2.10 ms | 无显著变化（+5.0 %） |",
  "",
  "显著：各轮数值互不重叠（交错 5 轮 × 每个配置 4 个流；每行误报率 0.79 %）；改进幅度相对第一列；绿色更好，红色更差",
  "",
].join('\n');

const GATE_TABLE = [
  "┌────────────────────────────┬────────────┬────────┬───────────────────────────────────────────────────────────────────────┐",
  "│ gate                       │   measured │ result │ detail                                                                │",
  "├────────────────────────────┼────────────┼────────┼───────────────────────────────────────────────────────────────────────┤",
  "│ first_content_ms.p99 < 150 │      22.25 │ pass   │ first_content_ms.p99 = 22.25 holds < 150                              │",
  "├────────────────────────────┼────────────┼────────┼───────────────────────────────────────────────────────────────────────┤",
  "│ ttft_ms.p50 < 5            │ no samples │ FAIL   │ ttft_ms.p50 has no samples in 'after': a gate never passes on no data │",
  "├────────────────────────────┼────────────┼────────┼───────────────────────────────────────────────────────────────────────┤",
  "│ first_content_ms.p50:10%   │         20 │ pass   │ first_content_ms.p50 19 → 20 (+5.3 % worse): within 10 %              │",
  "└────────────────────────────┴────────────┴────────┴───────────────────────────────────────────────────────────────────────┘",
  "1 of 3 gates failed (after of r&d.json against after of base.json)",
  "",
].join('\n');

const GATE_MARKDOWN = [
  "### notebook-stream gate: failed (2 of 3 hold)",
  "",
  "Configuration `after` of `r&d.json`, baseline `after` of `base.json`.",
  "",
  "| result | gate | measured | detail |",
  "|---|---|---:|---|",
  "| pass | `first_content_ms.p99 < 150` | 22.25 | first_content_ms.p99 = 22.25 holds < 150 |",
  "| **FAIL** | `ttft_ms.p50 < 5` | no samples | ttft_ms.p50 has no samples in 'after': a gate never passes on no data |",
  "| pass | `first_content_ms.p50:10%` | 20 | first_content_ms.p50 19 → 20 (+5.3 % worse): within 10 % |",
  "",
].join('\n');

const GATE_JUNIT = [
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
  "<testsuites name=\"notebook-stream gate\" tests=\"3\" failures=\"1\" errors=\"0\">",
  "  <testsuite name=\"notebook-stream gate: after\" tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"0\">",
  "    <properties>",
  "      <property name=\"report\" value=\"r&amp;d.json\"/>",
  "      <property name=\"configuration\" value=\"after\"/>",
  "      <property name=\"baseline\" value=\"after of base.json\"/>",
  "    </properties>",
  "    <testcase classname=\"notebook-stream.gate.threshold\" name=\"first_content_ms.p99 &lt; 150\">",
  "      <system-out>first_content_ms.p99 = 22.25 holds &lt; 150</system-out>",
  "    </testcase>",
  "    <testcase classname=\"notebook-stream.gate.threshold\" name=\"ttft_ms.p50 &lt; 5\">",
  "      <failure message=\"ttft_ms.p50 has no samples in &apos;after&apos;: a gate never passes on no data\" type=\"threshold\">ttft_ms.p50 has no samples in &apos;after&apos;: a gate never passes on no data</failure>",
  "    </testcase>",
  "    <testcase classname=\"notebook-stream.gate.max_regression\" name=\"first_content_ms.p50:10%\">",
  "      <system-out>first_content_ms.p50 19 → 20 (+5.3 % worse): within 10 %</system-out>",
  "    </testcase>",
  "  </testsuite>",
  "</testsuites>",
  "",
].join('\n');

test('the comparison table: settings rows, measured rows, change with its verdict', () => {
  assert.deepEqual(reportErrors(twoPolicies()), []);
  assert.equal(reportExporter('table', 'en')(twoPolicies()), TABLE_EN);
  // It fits 100 columns (issue 32: the worded table was ~260 wide); --wide keeps every word.
  for (const line of TABLE_EN.split('\n')) assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
  assert.equal(renderCompare(twoPolicies(), 'en', { wide: true }), TABLE_EN_WIDE);
});

test('the compact table numbers its change columns when long names would not fit', () => {
  const r = twoPolicies();
  const third = { ...r.configurations[1]!, name: 'a-rather-long-configuration-name-for-the-third-column' };
  r.configurations.push(third);
  const text = renderCompare(r, 'en', { width: 100 });
  assert.match(text, /│ Δ2 +│ Δ3 +│/);
  assert.match(text, /Δ2 = after, Δ3 = a-rather-long-configuration-name-for-the-third-column/);
  assert.match(renderCompare(r, 'en', { width: 400 }), /│ Δ after +│ Δ a-rather-long/);
});

test('the comparison as Markdown, in Chinese', () => {
  assert.equal(reportExporter('markdown', 'zh')(twoPolicies()), MARKDOWN_ZH);
});

test('JSON is the report itself, valid against the schema', () => {
  const text = reportExporter('json')(twoPolicies());
  assert.equal(text, JSON.stringify(twoPolicies(), null, 2) + '\n');
  assert.deepEqual(reportErrors(JSON.parse(text)), []);
});

test('one configuration exports as bench\'s table', () => {
  const one = handReport([twoPolicies().configurations[0]!], 'bench');
  assert.equal(reportExporter('table')(one), renderTable(one));
});

test('gate exporters: table, Markdown, JUnit, JSON', () => {
  const o = gateOutcome();
  assert.equal(gateExporter('table')(o), GATE_TABLE);
  assert.equal(gateExporter('markdown')(o), GATE_MARKDOWN);
  assert.equal(gateExporter('junit')(o), GATE_JUNIT);
  assert.deepEqual(JSON.parse(gateExporter('json')(o)), JSON.parse(JSON.stringify(o)));
});

test('JUnit parses back: one test case per gate, failures where they failed, text escaped', () => {
  const o = gateOutcome();
  o.checks[0]!.expression = 'first_content_ms.p99 < 150 & "quoted" <tag>';
  o.checks[0]!.detail = 'control \u0001 characters dropped';
  const root = parseXml(gateExporter('junit')(o));
  assert.equal(root.name, 'testsuites');
  assert.equal(root.attributes['tests'], '3');
  assert.equal(root.attributes['failures'], '1');
  const suite = root.children[0]!;
  const cases = suite.children.filter((c) => c.name === 'testcase');
  assert.deepEqual(cases.map((c) => c.attributes['name']), ['first_content_ms.p99 < 150 & "quoted" <tag>', 'ttft_ms.p50 < 5', 'first_content_ms.p50:10%']);
  assert.deepEqual(cases.map((c) => c.children.some((x) => x.name === 'failure')), o.checks.map((c) => !c.passed));
  assert.equal(cases[0]!.children[0]!.text, 'control  characters dropped');
  const failure = cases[1]!.children[0]!;
  assert.equal(failure.attributes['message'], o.checks[1]!.detail);
});

test('percent changes round to one decimal with a sign', () => {
  assert.equal(formatPct(-89.64), '-89.6 %');
  assert.equal(formatPct(5), '+5.0 %');
  assert.equal(formatPct(0.04), '0.0 %');
  assert.equal(formatPct(-0.04), '0.0 %');
  assert.equal(formatPct(null), 'n/a');
});

test('Markdown escapes pipes in names', () => {
  const r = twoPolicies();
  r.configurations[1]!.name = 'a|b';
  assert.match(reportExporter('markdown', 'en')(r), /\| before \| a\\\|b \| a\\\|b vs before \|/);
});

test('colour follows the better direction, only for significant changes', () => {
  const r = twoPolicies();
  // Writes per stream: 3 → 20, significant (rounds do not overlap) and worse (lower is better).
  for (const [c, v] of [
    [r.configurations[0]!, [3, 3, 3, 3, 3]],
    [r.configurations[1]!, [20, 19, 21, 20, 20]],
  ] as const) {
    c.rounds!.forEach((round, i) => (round.metrics['writes_per_stream'] = { p50: v[i]!, p99: v[i]!, count: 4 }));
  }
  // The colours are the caller's (no shared chalk level): a coloured and a plain rendering side by side.
  const chalk = colorsAt(1);
  const text = reportExporter('table', 'en', chalk)(r);
  assert.ok(text.includes(chalk.green('−90 % ✓')), text);
  assert.ok(text.includes(chalk.red('+567 % ✗')), text);
  assert.ok(text.includes('+5.0 % ≈') && !text.includes(chalk.green('+5.0 % ≈')) && !text.includes(chalk.red('+5.0 % ≈')));
  const wide = renderCompare(r, 'en', { wide: true, colors: chalk });
  assert.ok(wide.includes(chalk.green('-90.0 % significant (better)')), wide);
  assert.ok(wide.includes(chalk.red('+566.7 % significant (worse)')), wide);
  assert.ok(wide.includes('no significant change (+5.0 %)') && !wide.includes(chalk.green('no significant change')) && !wide.includes(chalk.red('no significant change')));
  assert.ok(!reportExporter('table', 'en')(r).includes('\u001b['), 'without colours given, no escape sequences');
});

test('a server CPU figure whose rounds spread widely is marked noisy, with the reason under the table', () => {
  const r = twoPolicies();
  r.configurations[1]!.rounds!.forEach((round, i) => (round.scalars['server_cpu_ms_per_stream'] = [2, 6, 3, 2.5, 4][i]!));
  const text = reportExporter('table', 'en')(r);
  assert.match(text, /server CPU per stream │ +2\.00 ms │ +2\.10 ms ~ │/);
  assert.match(text, /~ noisy: its rounds spread over more than 50 % of their median/);
  // The calm one (rounds within 10 % of their median) is not marked.
  assert.doesNotMatch(reportExporter('table', 'en')(twoPolicies()), /~ noisy/);
});
