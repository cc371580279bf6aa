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
 * Whether this run is CI: `CI` set to anything but empty, `0` or `false` (GitHub Actions, GitLab
 * and most runners set `CI=true`; some set `CI=1`).
 */
export function isCi(): boolean {
  const ci = (process.env['CI'] ?? '').trim().toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

/**
 * The one rule for a missing system component: skip the test with a printed reason locally, fail
 * it in CI, where .ci/run must have installed it. Returns false after skipping (it throws in CI).
 */
export function missingComponent(t: TestContext, why: string): false {
  if (isCi()) throw new Error(`${why}: CI must install it (.ci/run)`);
  process.stderr.write(`# skipped: ${why}\n`);
  t.skip(why);
  return false;
}

/** A command on PATH, or `missingComponent` with the Debian package that brings it. */
export function requireCommand(t: TestContext, cmd: string, pkg: string): boolean {
  if (hasCommand(cmd)) return true;
  return missingComponent(t, `${cmd} not found (Debian package ${pkg})`);
}
