import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NGINX_DEFAULTS, nginxConfig } from '../src/deploy/nginx-config.js';
import { SYSTEMD_DEFAULTS, systemdUnit, type SystemdUnitOptions } from '../src/deploy/systemd-unit.js';
import { UsageError } from '../src/model/errors.js';

const base: SystemdUnitOptions = {
  node: process.execPath,
  bin: fileURLToPath(new URL('../../bin/notebook-stream.js', import.meta.url)),
  port: SYSTEMD_DEFAULTS.port,
  allowedHosts: [],
  serveArgs: [],
  env: [],
  name: SYSTEMD_DEFAULTS.name,
  graceS: SYSTEMD_DEFAULTS.graceS,
};

test('config systemd refuses a public --allowed-host without a token: it would let anyone run code', () => {
  assert.throws(() => systemdUnit({ ...base, allowedHosts: ['nb.example.com'] }), (e) => e instanceof UsageError && /tokenFile/.test(e.message));
  assert.match(systemdUnit({ ...base, allowedHosts: ['nb.example.com'], tokenFile: '/etc/notebook-stream/token' }), /--allowed-host nb\.example\.com/);
  assert.match(systemdUnit({ ...base, allowedHosts: ['nb.example.com'], serveArgs: ['--insecure-no-auth'] }), /--insecure-no-auth/);
  assert.match(systemdUnit({ ...base, allowedHosts: ['localhost'] }), /--allowed-host localhost/, 'loopback names need no token');
});

test('config nginx serves /metrics to this host only', () => {
  const conf = nginxConfig({ ...NGINX_DEFAULTS, locationOnly: false });
  const block = /location = \/metrics \{([\s\S]*?)\n    \}/.exec(conf)?.[1] ?? '';
  assert.match(block, /allow 127\.0\.0\.1;/);
  assert.match(block, /deny all;/);
  assert.ok(block.indexOf('deny all;') < block.indexOf('proxy_pass'), 'access rules before the proxy');
});
