import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { formatSetting, formatValue } from '../src/report/compare-cells.js';
import { compareLabels } from '../src/report/compare-labels.js';
import { COMPARE_ROWS, type SettingKey } from '../src/report/compare-model.js';
import { compareMarkdown } from '../src/report/markdown.js';
import type { Report } from '../src/model/report.js';
import { reportErrors } from '../src/report/validate-report.js';
import { cliRun, tableCells } from './helpers/cli-run.js';
import { handConfig, handReport, stats } from './helpers/hand-report.js';
import { startServeProcess } from './helpers/serve-process.js';
import { findJupyterCommand } from '../src/jupyter/server.js';
import { missingComponent } from './helpers/system.js';

const noJupyter = findJupyterCommand() === undefined ? 'Jupyter Server not found (apt install jupyter-server python3-ipykernel)' : false;

const EN = compareLabels('en');

async function tmpDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-compare-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The table's cell for a row (by its label) and a column (by its header). */
function cell(rows: string[][], rowLabel: string, column: string): string {
  const head = rows[0]!;
  const j = head.indexOf(column);
  assert.ok(j > 0, `no column '${column}' in ${head.join(' | ')}`);
  const row = rows.find((r) => r[0] === rowLabel);
  assert.ok(row !== undefined, `no row '${rowLabel}'`);
  return row[j]!;
}

/** Every number in the table is the report's, formatted: nothing printed comes from elsewhere. */
function assertTableMatchesReport(rows: string[][], report: Report): void {
  assert.deepEqual(rows[0]!.slice(1, 1 + report.configurations.length), report.configurations.map((c) => c.name));
  const settingLabel: Record<SettingKey, string> = { flush_interval: EN.flushInterval, char_threshold: EN.charThreshold, kernel_wait: EN.kernelWait };
  for (const c of report.configurations) {
    for (const key of Object.keys(settingLabel) as SettingKey[]) {
      assert.equal(cell(rows, settingLabel[key], c.name), formatSetting(c.flush_settings ?? null, key, 'en'));
    }
    for (const r of COMPARE_ROWS) {
      const value = r.stat === null ? (c.scalars[r.metric] ?? null) : c.metrics[r.metric]!.count === 0 ? null : c.metrics[r.metric]![r.stat];
      const unit = r.stat === null ? 'ms' : c.metrics[r.metric]!.unit;
      // A value whose rounds spread widely is marked `~` (noisy) after it.
      assert.equal(cell(rows, EN.rows[r.key]!, c.name).replace(/ ~$/, ''), formatValue(value, unit), `${r.key} of ${c.name}`);
    }
  }
}

test('compare guide-before vs adaptive on ping: adaptive\'s first chunk is earlier, significantly; the table is the report\'s', async (t) => {
  const dir = await tmpDir(t);
  const out = path.join(dir, 'c.json');
  const md = path.join(dir, 'c.md');
  const r = await cliRun(['compare', '--flush-policies', 'guide-before,adaptive', '--rounds', '5', '-n', '2', '--count', '10', '--out', out, '--markdown', md, '--lang', 'en', '--wide']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(await readFile(out, 'utf8')) as Report;
  assert.deepEqual(reportErrors(report), []);
  assert.equal(report.command, 'compare');
  const [before, adaptive] = report.configurations;
  assert.equal(before!.name, 'guide-before');
  assert.equal(adaptive!.name, 'adaptive');
  assert.deepEqual(before!.target.embedded_server, { flush_policy: 'guide-before' });
  for (const c of report.configurations) {
    assert.equal(c.rounds!.length, 5);
    assert.ok(c.rounds!.every((x) => x.requests.ok === 2));
    assert.equal(c.requests.measured, 10);
    assert.ok(c.scalars['server_cpu_ms_per_stream']! > 0, `server CPU read from /metrics: ${c.scalars['server_cpu_ms_per_stream']}`);
  }
  // The guide's direction: every round of adaptive beats every round of guide-before.
  const fc = (c: typeof before) => c!.rounds!.map((x) => x.metrics['first_content_ms']!.p50!);
  assert.ok(Math.max(...fc(adaptive)) < Math.min(...fc(before)), `${fc(adaptive)} vs ${fc(before)}`);
  assert.ok(adaptive!.metrics['first_content_ms']!.p50! < before!.metrics['first_content_ms']!.p50!);

  const rows = tableCells(r.stdout);
  assertTableMatchesReport(rows, report);
  const change = cell(rows, EN.rows['first_content_ms.p50']!, 'adaptive vs guide-before');
  assert.match(change, /^-\d+\.\d % significant \(better\)$/);
  const pct = ((adaptive!.metrics['first_content_ms']!.p50! - before!.metrics['first_content_ms']!.p50!) / before!.metrics['first_content_ms']!.p50!) * 100;
  assert.equal(change, `-${Math.abs(Math.round(pct * 10) / 10).toFixed(1)} % significant (better)`);
  assert.equal(await readFile(md, 'utf8'), compareMarkdown(report, 'en'));
});

test('two identical configurations show no significant change', async () => {
  // 10 interleaved rounds: for configurations with no real difference, all 10 rounds of one land
  // beyond all 10 of the other with probability 2 / C(20, 10) ≈ 1e-5 per row.
  const r = await cliRun(['compare', '--flush-policies', 'adaptive,adaptive', '--rounds', '10', '-n', '2', '--count', '5', '--interval-ms', '5', '--first-delay-ms', '5', '--no-out', '--lang', 'en', '--wide']);
  assert.equal(r.code, 0, r.stderr);
  const rows = tableCells(r.stdout);
  assert.deepEqual(rows[0], [EN.measure, 'adaptive#1', 'adaptive#2', 'adaptive#2 vs adaptive#1']);
  for (const key of COMPARE_ROWS.map((x) => x.key)) {
    const c = cell(rows, EN.rows[key]!, 'adaptive#2 vs adaptive#1');
    assert.ok(c === '–' || c.startsWith('no significant change ('), `${key}: ${c}`);
  }
  assert.ok(cell(rows, EN.rows['first_content_ms.p50']!, 'adaptive#2 vs adaptive#1').startsWith('no significant change'));
});

test('compare two URLs with --label: settings from /healthz, CPU from /metrics', async (t) => {
  const a = await startServeProcess(['--flush-policy', 'guide-after']);
  t.after(() => a.stop());
  const b = await startServeProcess(['--flush-policy', 'adaptive']);
  t.after(() => b.stop());
  const r = await cliRun(['compare', `${a.url}/send_operation`, `${b.url}/send_operation`, '--label', 'ga', '--label', 'ad', '--rounds', '3', '-n', '1', '--count', '3', '--interval-ms', '5', '-H', 'Authorization: Bearer s3cret-key', '--json', '--no-out']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  // A report is shared: credentials given with -H are redacted from its args.
  assert.ok(!r.stdout.includes('s3cret-key'));
  assert.ok(report.args.includes('Authorization: [redacted]'), report.args.join(' '));
  assert.deepEqual(report.configurations.map((c) => c.name), ['ga', 'ad']);
  assert.equal(report.configurations[0]!.flush_settings?.flush_interval_ms, 50);
  assert.equal(report.configurations[1]!.flush_settings?.mode, 'adaptive');
  assert.equal(report.configurations[0]!.target.embedded_server, null);
  assert.ok(report.configurations.every((c) => typeof c.scalars['server_cpu_ms_per_stream'] === 'number'));
  // 3 tokens and done per stream, one stream per round.
  assert.equal(report.configurations[1]!.metrics['events_per_stream']!.p50, 4);
  const tooMany = await cliRun(['compare', `${a.url}/send_operation`, `${b.url}/send_operation`, '--label', 'x', '--label', 'y', '--label', 'z', '--no-out']);
  assert.equal(tooMany.code, 2);
  assert.match(tooMany.stderr, /Too many --label options: expected 2 at most/);
});

test('compare saved reports: columns from every file, --select, --label; no rounds means not judged', async (t) => {
  const dir = await tmpDir(t);
  const one = (name: string, p50: number) => handReport([handConfig(name, { first_content_ms: stats('ms', { count: 8, p50, p99: p50 + 1 }) })], 'bench');
  await writeFile(path.join(dir, 'before.json'), JSON.stringify(one('bench', 200)));
  await writeFile(path.join(dir, 'after.json'), JSON.stringify(one('bench', 50)));
  const r = await cliRun(['compare', path.join(dir, 'before.json'), path.join(dir, 'after.json'), '--label', 'old', '--label', 'new', '--lang', 'en', '--wide']);
  assert.equal(r.code, 0, r.stderr);
  const rows = tableCells(r.stdout);
  assert.equal(cell(rows, EN.rows['first_content_ms.p50']!, 'old'), '200.00 ms');
  assert.equal(cell(rows, EN.rows['first_content_ms.p50']!, 'new'), '50.00 ms');
  assert.equal(cell(rows, EN.rows['first_content_ms.p50']!, 'new vs old'), '-75.0 % not judged (0 rounds)');
  assert.match(r.stdout, /significance not judged: the reports hold no per-round results/);
  // Same names get told apart by file.
  const same = await cliRun(['compare', path.join(dir, 'before.json'), path.join(dir, 'after.json'), '--json']);
  assert.deepEqual((JSON.parse(same.stdout) as Report).configurations.map((c) => c.name), ['bench', 'bench (after.json)']);
  // The locale picks Chinese.
  const zh = await cliRun(['compare', path.join(dir, 'before.json'), path.join(dir, 'after.json')], { LANG: 'zh_CN.UTF-8' });
  assert.equal(tableCells(zh.stdout)[0]![0], '优化项目');

  const two = handReport([handConfig('a', {}), handConfig('b', {}), handConfig('c', {})]);
  await writeFile(path.join(dir, 'three.json'), JSON.stringify(two));
  const sel = await cliRun(['compare', path.join(dir, 'three.json'), '--select', 'c', '--select', 'a', '--json']);
  assert.deepEqual((JSON.parse(sel.stdout) as Report).configurations.map((c) => c.name), ['a', 'c']);
  const badSel = await cliRun(['compare', path.join(dir, 'three.json'), '--select', 'z']);
  assert.equal(badSel.code, 2);
  assert.match(badSel.stderr, /--select: no configuration 'z'/);

  await writeFile(path.join(dir, 'v2.json'), JSON.stringify({ ...one('x', 1), schemaVersion: 2 }));
  const v2 = await cliRun(['compare', path.join(dir, 'before.json'), path.join(dir, 'v2.json')]);
  assert.equal(v2.code, 2);
  assert.match(v2.stderr, /v2\.json'?: schemaVersion 2/);
  const single = await cliRun(['compare', path.join(dir, 'before.json')]);
  assert.equal(single.code, 2);
  assert.match(single.stderr, /needs two configurations or more/);
  const missing = await cliRun(['compare', path.join(dir, 'nope.json'), path.join(dir, 'before.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json'?: cannot read: ENOENT/);
});

test('compare --source chat starts the replay upstream itself; adaptive streams the first token sooner', async () => {
  const r = await cliRun(['compare', '--source', 'chat', '--flush-policies', 'guide-before,adaptive', '--rounds', '3', '-n', '1', '--count', '10', '--json', '--no-out']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  assert.deepEqual(reportErrors(report), []);
  const [before, adaptive] = report.configurations;
  assert.ok(report.configurations.every((c) => c.requests.ok === 3 && c.requests.failed === 0), JSON.stringify(report.configurations.map((c) => c.errors)));
  assert.ok(adaptive!.metrics['first_content_ms']!.p50! < before!.metrics['first_content_ms']!.p50!);
  // Ten content deltas, one chunk event each under adaptive, then done.
  assert.equal(adaptive!.metrics['events_per_stream']!.p50, 11);
});

test('compare --source execute runs a cell per stream on a Jupyter kernel; the guide\'s kernel wait shows', { timeout: 150_000 }, async (t) => {
  if (noJupyter !== false) return void missingComponent(t, noJupyter);
  const r = await cliRun(['compare', '--source', 'execute', '--flush-policies', 'guide-after,adaptive', '--rounds', '3', '-n', '1', '--count', '3', '--json', '--no-out'], {}, 140_000);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  assert.deepEqual(reportErrors(report), []);
  const [after, adaptive] = report.configurations;
  assert.ok(report.configurations.every((c) => c.requests.ok === 3), JSON.stringify(report.configurations.map((c) => c.errors)));
  assert.equal(after!.flush_settings!.kernel_wait_ms, 100);
  // guide-after polls the kernel every 100 ms when nothing is ready: its first output waits for a poll.
  assert.ok(adaptive!.metrics['first_content_ms']!.p50! < after!.metrics['first_content_ms']!.p50!);
});

test('Ctrl-C stops compare after the completed rounds and still reports them; the server child is stopped', async () => {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const bin = fileURLToPath(new URL('../../bin/notebook-stream.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'compare', '--flush-policies', 'guide-after,adaptive', '--rounds', '10000', '-n', '1', '--count', '2', '--interval-ms', '1', '--first-delay-ms', '1', '--json', '--no-out'], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise((r) => setTimeout(r, 8000));
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted; reporting the rounds completed so far/);
  const report = JSON.parse(stdout) as Report;
  assert.deepEqual(reportErrors(report), []);
  const [a, b] = report.configurations;
  assert.ok(a!.rounds!.length >= 1 && a!.rounds!.length < 10000);
  // Rounds are whole: every configuration has the same number, none with an aborted stream.
  assert.equal(a!.rounds!.length, b!.rounds!.length);
  assert.ok(report.configurations.every((c) => c.requests.failed === 0 && c.requests.measured === c.rounds!.length));
  assert.match(a!.warnings.join('\n'), new RegExp(`interrupted: ${a!.rounds!.length} of 10000 rounds completed`));
  // The embedded server is gone: its port refuses connections.
  await assert.rejects(fetch(new URL('/healthz', a!.target.url)));
});

test('compare usage errors exit 2 naming the flag; sources that have not landed say so', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--source', 'bogus'], /known: ping, replay, execute, chat/],
    [['--source', 'chat', '--llm-base-url', 'http://127.0.0.1:9/v1'], /--source chat with --llm-base-url needs --model NAME/],
    [['--source', 'bogus'], /--source: unknown source 'bogus' \(known: ping, replay, execute, chat\)/],
    [['--flush-policies', 'adaptive'], /--flush-policies: give two policies or more/],
    [['--flush-policies', 'adaptive,fast'], /--flush-policies: unknown policy 'fast'/],
    [['--rounds', '0'], /--rounds/],
    [['--lang', 'fr'], /--lang/],
    [['http://127.0.0.1:9/', 'x.json'], /give URLs or report files, not both/],
    [['http://127.0.0.1:9/'], /needs two URLs or more/],
    [['--label', 'a'], /--label: names URL columns/],
  ];
  for (const [args, re] of cases) {
    const r = await cliRun(['compare', ...args, '--no-out']);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});

test('compare exits 3 when nothing could be measured, naming the error kinds', async () => {
  const r = await cliRun(['compare', 'http://127.0.0.1:9/a', 'http://127.0.0.1:9/b', '--rounds', '3', '-n', '1', '--no-out']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /nothing measured: every request failed \(http:\/\/127\.0\.0\.1:9\/a: connect_refused 3; http:\/\/127\.0\.0\.1:9\/b: connect_refused 3\)/);
});

test("compare with URLs takes bench's request flags: --ca, --format, --accept-encoding and the timeouts reach the probe", async (t) => {
  const { makeSelfSignedCert } = await import('./helpers/tls-cert.js');
  const https = await import('node:https');
  const cert = makeSelfSignedCert();
  t.after(() => rm(path.dirname(cert.certFile), { recursive: true, force: true }));
  const seen: Array<string | undefined> = [];
  // /ok: two NDJSON lines and the end; /stall: one line, then 3 s of silence before the end.
  // text/plain, so only --format ndjson (not the Content-Type) says how to parse them.
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    seen.push(req.headers['accept-encoding']);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('{"text":"a"}\n');
    if (req.url === '/stall') {
      const timer = setTimeout(() => res.end('{"text":"b"}\n'), 3000);
      res.on('close', () => clearTimeout(timer));
    } else res.end('{"text":"b"}\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  const urls = [`${base}/ok`, `${base}/stall`];
  const common = ['--rounds', '2', '-n', '1', '--warmup', '0', '--format', 'ndjson', '--accept-encoding', 'br;q=0, identity', '--lang', 'en'];

  // Control: without --ca the self-signed certificate fails every request (nothing measured).
  const strict = await cliRun(['compare', ...urls, ...common, '--no-out']);
  assert.equal(strict.code, 3, strict.stderr);
  assert.match(strict.stderr, /tls/);

  const dir = await tmpDir(t);
  const out = path.join(dir, 'c.json');
  const r = await cliRun(['compare', ...urls, ...common, '--ca', cert.certFile, '--connect-timeout-ms', '5000', '--headers-timeout-ms', '5000', '--idle-timeout-ms', '300', '--request-timeout-s', '30', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(await readFile(out, 'utf8')) as Report;
  assert.deepEqual(reportErrors(report), []);
  const [ok, stall] = report.configurations;
  for (const c of [ok!, stall!]) {
    assert.equal(c.target.format, 'ndjson');
    assert.equal(c.target.accept_encoding, 'br;q=0, identity');
  }
  assert.deepEqual(ok!.errors, {});
  assert.equal(ok!.requests.ok, 2);
  // --idle-timeout-ms 300 ends /stall's 3 s silence; the default (60 s) would have waited it out.
  assert.equal(stall!.errors['idle_timeout'], 2, JSON.stringify(stall!.errors));
  assert.ok(seen.length > 0 && seen.every((v) => v === 'br;q=0, identity'), JSON.stringify(seen));
});
