import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/** Whether a system command is on PATH. */
export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Skips the test with a printed reason when a system component is missing — except in CI
 * (CI=true), where a missing component is a failure: .ci/run must install it.
 */
export function requireCommand(t: TestContext, cmd: string, pkg: string): boolean {
  if (hasCommand(cmd)) return true;
  const why = `${cmd} not found (Debian package ${pkg})`;
  if (process.env['CI'] === 'true') throw new Error(`${why}: CI must install it`);
  process.stderr.write(`# skipped: ${why}\n`);
  t.skip(why);
  return false;
}
