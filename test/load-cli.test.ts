import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Report } from '../src/model/report.js';
import { reportErrors } from '../src/report/validate-report.js';
import { startLoadServer } from './helpers/load-server.js';
import { requireCommand } from './helpers/system.js';

const BIN = fileURLToPath(new URL('../../bin/notebook-stream.js', import.meta.url));

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    });
  });
}

const cli = (args: string[]) => run(process.execPath, [BIN, ...args]);
const PROGRESS = /\d+\/6 +\d+(\.\d)? req\/s +\d+ in flight +\d+ errors/;

test('the progress line appears on a terminal; a pipe gets a line per phase; --quiet gets neither', async (t) => {
  if (!requireCommand(t, 'script', 'util-linux')) return;
  const srv = await startLoadServer(() => 150);
  t.after(() => srv.close());
  const args = ['bench', srv.url, '-n', '6', '--no-out'];
  // script(1) runs the command on a pseudo-terminal: stderr is a TTY there.
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const onTty = await run('script', ['-qfec', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null']);
  assert.equal(onTty.code, 0, onTty.stdout);
  assert.match(onTty.stdout, PROGRESS);
  const quiet = await run('script', ['-qfec', [process.execPath, BIN, ...args, '--quiet'].map(quote).join(' '), '/dev/null']);
  assert.equal(quiet.code, 0, quiet.stdout);
  assert.doesNotMatch(quiet.stdout, / req\/s /);
  const piped = await cli(args);
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr + piped.stdout, / req\/s /);
  assert.match(piped.stderr, /^bench: measuring 6 requests$/m);
  assert.match(piped.stdout, /closed model, 1 at once/);
});

test('too few file descriptors for the planned connections: exit 2 saying how to raise the hard limit', async (t) => {
  if (!requireCommand(t, 'prlimit', 'util-linux')) return;
  const r = await run('prlimit', ['--nofile=200:200', process.execPath, BIN, 'bench', 'http://127.0.0.1:9/', '-c', '500', '--no-out']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /-c\/--concurrency: 500 connections need about 564 open files, but the hard open-file limit is 200/);
  assert.match(r.stderr, /ulimit -Hn 564/);
  const open = await run('prlimit', ['--nofile=200:200', process.execPath, BIN, 'bench', 'http://127.0.0.1:9/', '--rate', '100', '--no-out']);
  assert.equal(open.code, 2);
  assert.match(open.stderr, /--max-in-flight: 1000 connections/);
});

test('load flags: usage errors name the flag; -d runs for a duration', async (t) => {
  for (const [args, flag] of [
    [['-n', '5', '-d', '1s'], /-n\/--requests and -d\/--duration/],
    [['-c', '2', '--rate', '5'], /-c\/--concurrency and --rate/],
    [['--max-in-flight', '5'], /--max-in-flight: only with --rate/],
    [['--arrival', 'poisson'], /--arrival: only with --rate/],
    [['-d', 'soon'], /--duration/],
    [['--arrival', 'bursty', '--rate', '1'], /--arrival/],
  ] as const) {
    const r = await cli(['bench', 'http://127.0.0.1:9/', ...args, '--no-out']);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, flag);
  }
  const srv = await startLoadServer(() => 20);
  t.after(() => srv.close());
  const t0 = Date.now();
  const r = await cli(['bench', srv.url, '-c', '4', '-d', '1s', '--json', '--no-out']);
  assert.equal(r.code, 0, r.stderr);
  const c = (JSON.parse(r.stdout) as Report).configurations[0]!;
  assert.ok(Date.now() - t0 < 15_000);
  assert.ok(c.duration_ms >= 1000 && c.duration_ms < 3000, `duration ${c.duration_ms}`);
  assert.ok(c.requests.ok >= 40, `${c.requests.ok} requests of ~20 ms each on 4 streams in 1 s`);
  assert.deepEqual(c.load && { model: c.load.model, concurrency: c.load.concurrency, planned_duration_s: c.load.planned_duration_s }, {
    model: 'closed',
    concurrency: 4,
    planned_duration_s: 1,
  });
});

test('notebook-stream merge: counts add, rates recomputed; refusals exit 2', async (t) => {
  const srv = await startLoadServer(() => 10);
  t.after(() => srv.close());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nbs-merge-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = path.join(dir, 'a.json');
  const b = path.join(dir, 'b.json');
  const out = path.join(dir, 'm.json');
  assert.equal((await cli(['bench', srv.url, '-c', '2', '-n', '10', '--out', a, '-q'])).code, 0);
  assert.equal((await cli(['bench', srv.url, '-c', '3', '-n', '15', '--out', b, '-q'])).code, 0);
  const m = await cli(['merge', a, b, '--out', out, '--json']);
  assert.equal(m.code, 0, m.stderr);
  const report = JSON.parse(m.stdout) as Report;
  assert.deepEqual(reportErrors(report), []);
  const c = report.configurations[0]!;
  assert.equal(report.command, 'merge');
  assert.equal(c.requests.ok, 25);
  assert.equal(c.metrics['first_content_ms']!.count, 25);
  assert.equal(c.load!.concurrency, 5);
  assert.equal(c.load!.runs, 2);
  assert.equal(c.scalars['requests_per_s'], Math.round((25 / (c.duration_ms / 1000)) * 1000) / 1000);
  assert.deepEqual(report.merged_from!.map((s) => s.file), [a, b]);

  const table = await cli(['merge', a, b, '--no-out']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /2 runs merged/);

  const other = path.join(dir, 'other.json');
  const r = JSON.parse(m.stdout) as Report;
  r.configurations[0]!.target.url = 'http://10.9.9.9/elsewhere';
  await writeFile(other, JSON.stringify(r));
  const refused = await cli(['merge', a, other, '--no-out']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /different targets.*--force/);
  assert.equal((await cli(['merge', a, other, '--no-out', '--force'])).code, 0);

  const v9 = path.join(dir, 'v9.json');
  await writeFile(v9, JSON.stringify({ ...r, schemaVersion: 9 }));
  const version = await cli(['merge', a, v9, '--no-out']);
  assert.equal(version.code, 2);
  assert.match(version.stderr, /v9\.json.*schemaVersion 9/);
  const missing = await cli(['merge', a, path.join(dir, 'nope.json'), '--no-out']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.json'?: cannot read/);
});
