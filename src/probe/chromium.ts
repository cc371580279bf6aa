import { field, ft } from '../model/field-text.js';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { UnavailableError } from '../model/errors.js';

/**
 * How the probes launch the system Chromium: headless, and as root in a container no sandbox; no
 * GPU; no QUIC (a stream must take the TCP path the wire client takes); and no background traffic
 * (update checks, sync) to compete with the measured streams.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Names the system Chromium goes by on PATH (Debian: chromium; Ubuntu snaps and Google builds: the others). */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

export const CHROMIUM_INSTALL_HINT = ft`install Chromium (Debian/Ubuntu: apt-get install chromium) or give its executable with ${field('browserPath')}`;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Chromium executable: `given` when it is one, else the first of the usual names on `pathEnv`,
 * else /usr/bin/chromium; null when there is none.
 */
export function findChromium(given: string | undefined, pathEnv: string | undefined): string | null {
  if (given !== undefined) return executable(given) ? given : null;
  for (const dir of (pathEnv ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const name of CHROMIUM_NAMES) {
      const file = path.join(dir, name);
      if (executable(file)) return file;
    }
  }
  return executable('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
}

type Playwright = typeof import('playwright-core');
export type Browser = Awaited<ReturnType<Playwright['chromium']['launch']>>;

/**
 * Launches Chromium through playwright-core (loaded only here: the wire probes never pay for it).
 * playwright gives every launch a fresh temporary --user-data-dir and removes it on close (it
 * refuses the flag in `args`). Throws UnavailableError (exit 3) with the install hint when the
 * executable is missing or does not start.
 */
export async function launchChromium(executablePath: string | null, extraArgs: readonly string[] = []): Promise<Browser> {
  if (executablePath === null) throw new UnavailableError(ft`no Chromium found on PATH or at /usr/bin/chromium: ${CHROMIUM_INSTALL_HINT}`);
  let pw: Playwright;
  try {
    pw = await import('playwright-core');
  } catch (err) {
    throw new UnavailableError(`playwright-core is not installed (npm install playwright-core): ${(err as Error).message}`);
  }
  try {
    return await pw.chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 30_000 });
  } catch (err) {
    throw new UnavailableError(ft`Chromium at ${executablePath} did not start (${(err as Error).message.split('\n')[0]}): ${CHROMIUM_INSTALL_HINT}`);
  }
}
