import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { execWord, systemdUnit, SYSTEMD_DEFAULTS, type SystemdUnitOptions } from '../src/deploy/systemd-unit.js';
import { UsageError } from '../src/model/errors.js';
import { missingComponent } from './helpers/system.js';

const BIN = fileURLToPath(new URL('../../bin/notebook-stream.js', import.meta.url));

const base: SystemdUnitOptions = {
  node: process.execPath,
  bin: BIN,
  port: SYSTEMD_DEFAULTS.port,
  allowedHosts: [],
  serveArgs: [],
  env: [],
  name: SYSTEMD_DEFAULTS.name,
  graceS: SYSTEMD_DEFAULTS.graceS,
};

function hasSystemdAnalyze(): boolean {
  return spawnSync('systemd-analyze', ['--version']).status === 0;
}

/** `systemd-analyze verify` on the unit: it prints parse problems as warnings, so any output fails. */
async function verify(t: TestContext, unit: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nbs-unit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'notebook-stream.service');
  await writeFile(file, unit);
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
  // Complaints about the host's own units (a container's) are not ours: keep the lines about this file.
  const ours = `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((line) => line.includes(file) || line.startsWith('notebook-stream.service'));
  assert.equal(r.status, 0, `systemd-analyze verify failed:\n${r.stdout}${r.stderr}`);
  assert.deepEqual(ours, [], `systemd-analyze verify complained:\n${ours.join('\n')}`);
}

test('the unit passes systemd-analyze verify (with a user and a token credential, and with DynamicUser)', async (t) => {
  if (!hasSystemdAnalyze()) {
    missingComponent(t, 'systemd-analyze is not installed (Debian package systemd); the unit text is still checked by the other tests');
    return;
  }
  await verify(
    t,
    systemdUnit({
      ...base,
      user: 'nbs',
      tokenFile: '/etc/notebook-stream/token',
      flushPolicy: 'adaptive',
      host: '127.0.0.1',
      allowedHosts: ['nb.example.com'],
      env: ['NOTEBOOK_STREAM_LOG=stream buffer 100%'],
      serveArgs: ['--heartbeat-s', '15'],
      workingDirectory: '/srv/notebooks',
    }),
  );
  await verify(t, systemdUnit(base));
});

test('the token comes from a systemd credential, never inline', () => {
  const unit = systemdUnit({ ...base, tokenFile: '/etc/notebook-stream/token' });
  assert.match(unit, /^LoadCredential=token:\/etc\/notebook-stream\/token$/m);
  const exec = unit.split('\n').find((l) => l.startsWith('ExecStart='));
  assert.ok(exec !== undefined);
  assert.ok(exec.endsWith(' --token-file ${CREDENTIALS_DIRECTORY}/token'), exec);
  assert.ok(!exec.includes('/etc/notebook-stream/token'), 'the host path is not on the command line');
  assert.throws(() => systemdUnit({ ...base, serveArgs: ['--token', 's3cret'] }), /serveArgs --token.*tokenFile/);
  assert.throws(() => systemdUnit({ ...base, env: ['NOTEBOOK_STREAM_TOKEN=s3cret'] }), /env NOTEBOOK_STREAM_TOKEN/);
});

test('the unit has the guide\'s restart policy, directories for the Jupyter runtime, and the sandbox', () => {
  const unit = systemdUnit({ ...base, user: 'nbs', flushPolicy: 'guide-after', port: 18601 });
  for (const line of [
    'User=nbs',
    'Restart=always',
    'RestartSec=3',
    'StateDirectory=notebook-stream',
    'RuntimeDirectory=notebook-stream',
    'Environment=JUPYTER_RUNTIME_DIR=%t/notebook-stream/jupyter',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'WantedBy=multi-user.target',
  ]) {
    assert.ok(unit.split('\n').includes(line), `missing ${line}`);
  }
  assert.match(unit, new RegExp(`^ExecStart=${process.execPath} ${BIN} serve --port 18601 --flush-policy guide-after$`, 'm'));
  const slow = systemdUnit({ ...base, graceS: 20 });
  assert.match(slow, /serve --port 18600 --grace-s 20$/m, 'a longer grace period reaches serve');
  assert.match(slow, /^TimeoutStopSec=30$/m, 'and systemd waits for it');
  assert.doesNotMatch(unit, /^MemoryDenyWriteExecute=/m, 'V8 needs writable executable memory');
  const dynamic = systemdUnit(base);
  assert.match(dynamic, /^DynamicUser=yes$/m, 'without --user the service never runs as root');
  const inHome = systemdUnit({ ...base, bin: '/home/me/nbs/bin/notebook-stream.js' });
  assert.match(inHome, /^ProtectHome=read-only$/m, 'a program under /home stays readable');
});

test('ExecStart words are quoted and escaped the way systemd reads them', () => {
  assert.equal(execWord('/usr/bin/node'), '/usr/bin/node');
  assert.equal(execWord('/opt/my app/bin.js'), '"/opt/my app/bin.js"');
  assert.equal(execWord('100%'), '100%%');
  assert.equal(execWord('$HOME'), '$$HOME');
  assert.equal(execWord('say "hi"'), '"say \\"hi\\""');
  const unit = systemdUnit({ ...base, env: ['GREETING=hello world'] });
  assert.match(unit, /^Environment="GREETING=hello world"$/m);
});

test('invalid values are usage errors that name the flag', () => {
  const cases: Array<[Partial<SystemdUnitOptions>, RegExp]> = [
    [{ tokenFile: 'token' }, /^tokenFile token: expected an absolute path/],
    [{ workingDirectory: 'srv' }, /^workingDirectory/],
    [{ node: 'node' }, /^node/],
    [{ user: 'a b' }, /^user/],
    [{ user: 'nobody' }, /^user nobody: .*DynamicUser/],
    [{ env: ['NOEQUALS'] }, /^env NOEQUALS: expected KEY=VALUE/],
    [{ env: ['A=1\nExecStartPre=/bin/sh'] }, /^env: control characters/],
    [{ port: 0 }, /^port 0/],
    [{ flushPolicy: 'fast' }, /^flushPolicy fast/],
    [{ host: 'a;b' }, /^host/],
    [{ allowedHosts: ['x y'] }, /^allowedHosts/],
  ];
  for (const [patch, message] of cases) {
    assert.throws(() => systemdUnit({ ...base, ...patch }), (err: unknown) => err instanceof UsageError && message.test(err.message));
  }
});
