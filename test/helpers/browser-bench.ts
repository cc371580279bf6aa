import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Report, ReportConfiguration } from '../../src/model/report.js';
import { findChromium } from '../../src/probe/chromium.js';
import { runCli } from './serve-process.js';
import { missingComponent } from './system.js';

/** The system Chromium bench --browser would find, or null after skipping (failing in CI). */
export function chromium(t: TestContext): string | null {
  const found = findChromium(undefined, process.env['PATH']);
  if (found === null) missingComponent(t, 'no Chromium on PATH or at /usr/bin/chromium (Debian package chromium)');
  return found;
}

export async function benchJson(args: string[]): Promise<ReportConfiguration> {
  const r = await runCli(['bench', '--browser', '--json', '--no-out', '-q', ...args], 170_000);
  assert.equal(r.code, 0, `bench ${args.join(' ')} exits 0: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as Report;
  const c = report.configurations[0]!;
  assert.ok(c.browser !== undefined, 'the configuration carries the page side');
  return c;
}

export const p50 = (c: ReportConfiguration, m: string) => {
  const v = c.metrics[m]?.p50;
  assert.ok(v !== null && v !== undefined, `${m} has samples`);
  return v;
};

