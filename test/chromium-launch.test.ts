import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../src/model/errors.js';
import { launchChromium } from '../src/probe/chromium.js';

/** The install hint is field text: it must reach the message as words, naming browserPath. */
function assertHint(err: unknown, start: RegExp): true {
  assert.ok(err instanceof CliError, String(err));
  assert.equal(err.exitCode, 3);
  assert.match(err.message, start);
  assert.match(err.message, /apt-get install chromium\) or give its executable with browserPath$/);
  assert.doesNotMatch(err.message, /object Object/);
  assert.deepEqual(err.fields, ['browserPath']);
  return true;
}

test('no Chromium, or one that does not start: exit 3 with the install hint naming browserPath', async () => {
  await assert.rejects(launchChromium(null), (e) => assertHint(e, /^no Chromium found on PATH or at \/usr\/bin\/chromium: install Chromium/));
  await assert.rejects(launchChromium('/bin/false'), (e) => assertHint(e, /^Chromium at \/bin\/false did not start \(/));
});
