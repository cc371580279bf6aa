import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { MONITOR_METRICS } from '../src/model/monitor-metrics.js';
import { cliRun } from './helpers/cli-run.js';
import { startServeProcess } from './helpers/serve-process.js';
import { requireCommand } from './helpers/system.js';

interface RulesDoc {
  groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }> }>;
}

test('config prometheus: promtool accepts the config and the rules, with defaults and with every option', async (t) => {
  if (!requireCommand(t, 'promtool', 'prometheus')) return;
  const dir = await mkdtemp(join(tmpdir(), 'nbs-promcfg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // promtool checks that a credentials file exists.
  const token = join(dir, 'nbs-token');
  await writeFile(token, 'a-token-of-serve\n');
  const variants: string[][] = [
    [],
    ['--monitor', '[::1]:9464', '--monitor', 'mon.example.com:9464', '--serve', '10.0.0.5:18600', '--probe-target', 'prod', '--serve-token-file', token,
      '--scrape-interval', '30s', '--for', '10m', '--window', '15m', '--first-content-p99-ms', '250', '--max-streams', '2000', '--near', '0.9', '--custom-flush-interval-ms', '10'],
    ['--no-serve'],
    ['--no-monitor'],
  ];
  for (const [i, args] of variants.entries()) {
    const config = join(dir, `prometheus-${i}.yml`);
    const rules = join(dir, `rules-${i}.yml`);
    const a = await cliRun(['config', 'prometheus', ...args, '--rules-file', rules, '--out', config]);
    assert.equal(a.code, 0, a.stderr);
    const b = await cliRun(['config', 'prometheus', '--rules', ...args, '--rules-file', rules, '--out', rules]);
    assert.equal(b.code, 0, b.stderr);
    // check config also checks the rules file it names.
    const out = execFileSync('promtool', ['check', 'config', config], { encoding: 'utf8' });
    assert.match(out, /SUCCESS/);
    const doc = parse(await readFile(rules, 'utf8')) as RulesDoc;
    for (const g of doc.groups) {
      for (const r of g.rules) {
        assert.match(r.for, /^\d+[smh]$/, `${r.alert}: for:`);
        assert.match(r.annotations['description']!, /Fix: /, `${r.alert} names the fix`);
      }
    }
  }
});

test('config prometheus: the rules name metrics that monitor and serve export', async (t) => {
  const text = (await cliRun(['config', 'prometheus', '--rules'])).stdout;
  const doc = parse(text) as RulesDoc;
  const names = (group: string) =>
    new Set(
      doc.groups
        .find((g) => g.name === group)!
        .rules.flatMap((r) => [...r.expr.matchAll(/\b(nbs_[a-z_]+)/g)].map((m) => m[1]!.replace(/_bucket$/, ''))),
    );
  const monitorNames = new Set<string>(Object.values(MONITOR_METRICS));
  for (const n of names('notebook-stream-monitor')) assert.ok(monitorNames.has(n), `${n} is not a monitor metric`);

  const serve = await startServeProcess([]);
  t.after(() => serve.stop());
  const exposition = await (await fetch(`${serve.url}/metrics`)).text();
  const types = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  for (const n of names('notebook-stream-serve')) assert.ok(types.has(n), `${n} is not on serve's /metrics`);
  const rules = doc.groups.flatMap((g) => g.rules.map((r) => r.alert));
  for (const alert of ['NotebookStreamNotStreaming', 'NotebookStreamFirstContentSlow', 'NotebookStreamProbeFailing', 'NotebookStreamServeStreamsNearLimit', 'NotebookStreamHoldAbovePolicy', 'NotebookStreamKernelsNearLimit']) {
    assert.ok(rules.includes(alert), alert);
  }
});

test('config prometheus: bad values exit 2 naming the flag', async () => {
  const window = await cliRun(['config', 'prometheus', '--scrape-interval', '15s', '--window', '20s']);
  assert.equal(window.code, 2);
  assert.match(window.stderr, /--window 20s: .*at least twice --scrape-interval/);
  const address = await cliRun(['config', 'prometheus', '--monitor', 'localhost']);
  assert.equal(address.code, 2);
  assert.match(address.stderr, /--monitor localhost: expected HOST:PORT/);
  const nothing = await cliRun(['config', 'prometheus', '--no-serve', '--no-monitor']);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /nothing to scrape/);
});
