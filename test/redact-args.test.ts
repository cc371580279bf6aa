import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactArgs } from '../src/cli/redact-args.js';

test('a report records no secret of the command line: tokens and credential headers are redacted', () => {
  assert.deepEqual(redactArgs(['compare', '--source', 'execute', '--jupyter-token', 's3cret', '--token=t0ken', '-H', 'Authorization: Bearer k', '-H', 'Accept: */*']), [
    'compare',
    '--source',
    'execute',
    '--jupyter-token',
    '[redacted]',
    '--token=[redacted]',
    '-H',
    'Authorization: [redacted]',
    '-H',
    'Accept: */*',
  ]);
});
