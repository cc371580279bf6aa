import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliRun } from './helpers/cli-run.js';
import { parsePrometheus, sampleValue } from './helpers/prometheus.js';
import { startServeProcess, startUrlProcess } from './helpers/serve-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LogLine {
  time?: string;
  duration_ms?: number;
  msg: string;
  target: string;
  trigger?: string;
  success?: boolean;
  failures?: string[];
  verdict?: string;
  status?: number | null;
}

const lines = (stderr: string): LogLine[] => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);

test('monitor: targets from a YAML file, per-probe log lines, /metrics, /probe, a doctor run, expect and gates, SIGTERM', { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'nbs-monitor-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const serve = await startServeProcess(['--flush-policy', 'guide-before']);
  t.after(() => serve.stop());
  const file = join(dir, 'targets.yaml');
  await writeFile(
    file,
    [
      'interval: 1s',
      'doctor_every: 2',
      'targets:',
      '  - name: buffered',
      `    url: ${serve.url}/send_operation`,
      '  - name: strict',
      `    url: ${serve.url}/send_operation`,
      '    operation: { type: ping, count: 20, interval_ms: 20, first_delay_ms: 20 }',
      '    expect: STREAMING',
      '    gates: ["first_content_ms.p50 < 100"]',
      '    doctor_every: 0',
      '  - name: refused',
      '    url: http://127.0.0.1:9/send_operation',
      '    timeout: 2s',
      '    doctor_every: 0',
      '',
    ].join('\n'),
  );
  const monitor = await startUrlProcess(['monitor', '--port', '0', '--config', file]);
  t.after(() => monitor.stop());
  assert.match(monitor.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

  // Bounded wait: two probes of each target and one doctor line.
  const deadline = Date.now() + 60_000;
  const probesOf = (name: string) => lines(monitor.stderr()).filter((l) => l.msg === 'probe' && l.target === name);
  while (Date.now() < deadline) {
    const doctor = lines(monitor.stderr()).some((l) => l.msg === 'doctor');
    if (doctor && ['buffered', 'strict', 'refused'].every((n) => probesOf(n).length >= 2)) break;
    await sleep(250);
  }
  const buffered = probesOf('buffered');
  assert.ok(buffered.length >= 2, monitor.stderr());
  assert.equal(buffered[0]!.success, true, JSON.stringify(buffered[0]));
  // guide-before's buffer releases by size (50 chars) and by timer (100 ms and 40 chars): a loaded
  // machine may show either, or a stalled probe INCONCLUSIVE; never STREAMING.
  assert.ok(buffered.every((l) => l.verdict !== 'STREAMING' && l.verdict !== null), JSON.stringify(buffered));
  const strict = probesOf('strict')[0]!;
  assert.equal(strict.success, false);
  assert.ok(strict.failures!.some((f) => f.startsWith('verdict ') && f.includes('expected STREAMING')), JSON.stringify(strict));
  assert.ok(strict.failures!.some((f) => f.startsWith('gate: first_content_ms.p50')), JSON.stringify(strict));
  const refused = probesOf('refused')[0]!;
  assert.equal(refused.success, false);
  assert.match(refused.failures![0]!, /^connect_refused/);
  const doctor = lines(monitor.stderr()).find((l) => l.msg === 'doctor');
  assert.equal(doctor?.target, 'buffered', monitor.stderr());
  assert.notEqual(doctor.verdict, 'STREAMING', monitor.stderr());

  const samples = parsePrometheus(await (await fetch(monitor.url)).text());
  const verdictOf = (name: string) => samples.filter((x) => x.name === name && x.labels['target'] === 'buffered' && x.value === 1).map((x) => x.labels['verdict']);
  assert.equal(verdictOf('nbs_monitor_verdict').length, 1, 'one verdict at a time');
  assert.equal(sampleValue(samples, 'nbs_monitor_verdict', { target: 'buffered', verdict: 'STREAMING' }), 0);
  assert.deepEqual(verdictOf('nbs_monitor_doctor_verdict'), [doctor.verdict]);
  assert.equal(sampleValue(samples, 'nbs_monitor_probe_success', { target: 'buffered' }), 1);
  assert.equal(sampleValue(samples, 'nbs_monitor_last_http_status', { target: 'buffered' }), 200);
  assert.equal(sampleValue(samples, 'nbs_monitor_last_http_status', { target: 'refused' }), 0);
  assert.ok(sampleValue(samples, 'nbs_monitor_consecutive_failures', { target: 'refused' })! >= 2);
  assert.ok(sampleValue(samples, 'nbs_monitor_first_content_seconds_count', { target: 'buffered' })! >= 2);
  // guide-before holds events in its buffer: the server's stamps show it (t - t_src).
  assert.ok(sampleValue(samples, 'nbs_monitor_hold_seconds_count', { target: 'buffered' })! > 0);
  assert.ok(sampleValue(samples, 'nbs_monitor_gap_seconds_count', { target: 'buffered' })! > 0);

  // blackbox_exporter's pattern: one probe now, only its metrics in the answer.
  const base = monitor.url.replace(/\/metrics$/, '');
  const one = await fetch(`${base}/probe?target=buffered`);
  assert.equal(one.status, 200);
  const probe = parsePrometheus(await one.text());
  assert.equal(sampleValue(probe, 'nbs_monitor_first_content_seconds_count', { target: 'buffered' }), 1);
  assert.equal(sampleValue(probe, 'nbs_monitor_probe_success', { target: 'buffered' }), 1);
  assert.equal(sampleValue(probe, 'nbs_monitor_probe_success', { target: 'strict' }), undefined);
  assert.ok(lines(monitor.stderr()).some((l) => l.msg === 'probe' && l.trigger === 'request'));
  const unknown = await fetch(`${base}/probe?target=nope`);
  assert.equal(unknown.status, 400);
  assert.match(await unknown.text(), /buffered, strict, refused/);

  // Never overlapping itself: each probe of a target starts after the previous one ended.
  for (const name of ['buffered', 'strict', 'refused']) {
    const runs = lines(monitor.stderr())
      .filter((l) => l.msg === 'probe' && l.target === name)
      .map((l) => ({ start: Date.parse(l.time!), end: Date.parse(l.time!) + l.duration_ms! }))
      .sort((a, b) => a.start - b.start);
    for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.start >= runs[i - 1]!.end - 1, `${name}: probe ${i} started before probe ${i - 1} ended`);
  }

  // SIGTERM: the probes in flight are aborted, exit 0 well within one probe timeout (10 s).
  const t0 = Date.now();
  assert.equal(await monitor.stop(10_000), 0, monitor.stderr());
  assert.ok(Date.now() - t0 < 10_000);
  assert.match(monitor.stderr(), /"msg":"shutting down"/);
});

test('monitor: bad input exits 2 with a hint, before anything listens', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nbs-monitor-'));
  try {
    const none = await cliRun(['monitor', '--port', '0']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /monitor needs a target/);
    const file = join(dir, 't.json');
    await writeFile(file, JSON.stringify({ targets: [{ url: 'http://127.0.0.1:1/send_operation', intervall: '5s' }] }));
    const typo = await cliRun(['monitor', '--port', '0', '--config', file]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /targets\[0\]: unknown key 'intervall'/);
    const twice = await cliRun(['monitor', '--port', '0', 'http://127.0.0.1:1/send_operation', 'http://127.0.0.1:1/send_operation']);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /two targets are named/);
    const gate = await cliRun(['monitor', '--port', '0', '--gate', 'first_contnt_ms.p50 < 3', 'http://127.0.0.1:1/x']);
    assert.equal(gate.code, 2, gate.stderr);
    // A taken port: nothing served, exit 3, with the way out.
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const port = String((taken.address() as AddressInfo).port);
      const busy = await cliRun(['monitor', '--port', port, 'http://127.0.0.1:1/send_operation']);
      assert.equal(busy.code, 3, busy.stderr);
      assert.match(busy.stderr, /EADDRINUSE \(choose another --port, or 0 for a free one\)/);
    } finally {
      taken.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
