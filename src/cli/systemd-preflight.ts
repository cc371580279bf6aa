import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../model/errors.js';

/** Where the unit's PrivateTmp=yes gives the service an empty directory instead of the host's. */
const PRIVATE_TMP = ['/tmp/', '/var/tmp/'];

/**
 * Checks that the unit `config systemd` writes can start the program it names (issue 32): from a
 * clone under /tmp, PrivateTmp=yes hides the script from the service; under /root (mode 0700) a
 * DynamicUser cannot enter the directory. Each is refused (exit 2) with what to do instead.
 */
export function systemdPreflight(paths: { node: string; bin: string; workingDirectory?: string | undefined }, user: string | undefined): void {
  for (const [flag, p] of [['--bin', paths.bin], ['--node', paths.node], ['--working-directory', paths.workingDirectory]] as const) {
    if (p === undefined) continue;
    if (PRIVATE_TMP.some((t) => p.startsWith(t))) {
      throw new UsageError(
        `${flag} ${p}: the unit gives the service a private /tmp (PrivateTmp=yes), so it cannot see this path, and /tmp is emptied at boot; ` +
          'install notebook-stream elsewhere (npm install -g notebook-stream, or a clone under /opt or /srv) and run config systemd from there',
      );
    }
    if (user !== undefined) continue;
    const closed = firstClosedDirectory(p);
    if (closed !== null) {
      throw new UsageError(
        `${flag} ${p}: ${closed.dir} is mode ${closed.mode} and the unit's DynamicUser (no --user) cannot enter it; ` +
          'install notebook-stream where other users can read it (npm install -g, or under /opt), or give --user NAME, an account that can read it',
      );
    }
  }
}

/** The first ancestor directory of `p` that others cannot enter (no o+x), or null. */
function firstClosedDirectory(p: string): { dir: string; mode: string } | null {
  let dir = path.dirname(path.resolve(p));
  const chain: string[] = [];
  while (dir !== path.dirname(dir)) {
    chain.unshift(dir);
    dir = path.dirname(dir);
  }
  for (const d of chain) {
    let mode: number;
    try {
      mode = statSync(d).mode;
    } catch {
      return null; // A path of another machine: nothing to check here.
    }
    if ((mode & 0o001) === 0) return { dir: d, mode: (mode & 0o777).toString(8).padStart(4, '0') };
  }
  return null;
}
