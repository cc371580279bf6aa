import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reportErrors } from '../src/report/validate-report.js';
import { ADAPTIVE_SETTINGS, GUIDE_BEFORE_SETTINGS, handConfig, handReport, roundsOf, stats } from './helpers/hand-report.js';

test("the schema accepts compare's optional rounds and flush settings, and checks them", () => {
  const report = handReport([
    handConfig('guide-before', { first_content_ms: stats('ms', { count: 4, p50: 200 }) }, { server_cpu_ms_per_stream: 1.5 }, { flush_settings: GUIDE_BEFORE_SETTINGS, rounds: roundsOf([200], [1.5]) }),
    handConfig('adaptive', { first_content_ms: stats('ms', { count: 4, p50: 20 }) }, {}, { flush_settings: ADAPTIVE_SETTINGS }),
  ]);
  assert.deepEqual(reportErrors(report), []);
  // Without them (a bench report) it is valid too.
  delete report.configurations[0]!.rounds;
  delete report.configurations[0]!.flush_settings;
  assert.deepEqual(reportErrors(report), []);

  const bad = structuredClone(
    handReport([handConfig('x', {}, {}, { rounds: roundsOf([1]), flush_settings: GUIDE_BEFORE_SETTINGS })]),
  ) as unknown as { configurations: Array<{ rounds: Array<{ round: number; metrics: Record<string, unknown> }>; flush_settings: Record<string, unknown> }> };
  bad.configurations[0]!.rounds[0]!.round = 0;
  bad.configurations[0]!.rounds[0]!.metrics['first_content_ms'] = { p50: 'fast', p99: null, count: 1 };
  bad.configurations[0]!.flush_settings['mode'] = 'sometimes';
  const errors = reportErrors(bad);
  assert.ok(errors.some((e) => e.includes('/rounds/0/round')), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes('/rounds/0/metrics/first_content_ms/p50')), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes('/flush_settings/mode')), errors.join('\n'));
});
