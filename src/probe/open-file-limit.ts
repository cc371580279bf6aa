import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { UsageError } from '../model/errors.js';
import { ft, type FieldRef } from '../model/field-text.js';

/** File descriptors a bench process uses besides its sockets: stdio, the event loop, libraries, the report. */
export const FD_OVERHEAD = 64;

/**
 * The hard open-file limit (RLIMIT_NOFILE). Node raises its soft limit to the hard one at start-up
 * (docs/platform-notes.md), so the hard limit is what a run can reach. Linux: /proc/self/limits; elsewhere
 * the shell's `ulimit -Hn`. Infinity for `unlimited`, null when it cannot be read.
 */
export function hardOpenFileLimit(): number | null {
  const parse = (v: string | undefined) => (v === undefined ? null : v === 'unlimited' ? Infinity : Number.isFinite(Number(v)) ? Number(v) : null);
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    if (line !== undefined) return parse(line.slice('Max open files'.length).trim().split(/\s+/)[1]);
  } catch {
    // Not Linux: ask the shell.
  }
  try {
    return parse(execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8', timeout: 2000 }).trim());
  } catch {
    return null;
  }
}

/**
 * Before a run: enough file descriptors for `connections` sockets, or a usage error (exit 2) that
 * says how to raise the limit, instead of EMFILE halfway through the run.
 */
export function checkOpenFileLimit(connections: number, flag: FieldRef, limit: number | null = hardOpenFileLimit()): void {
  if (limit === null) return;
  const need = connections + FD_OVERHEAD;
  if (need <= limit) return;
  throw new UsageError(ft`${flag}: ${connections} connections need about ${need} open files, but the hard open-file limit is ${limit}`, {
    code: 'NBS_USAGE_OPEN_FILES',
    details: { connections, need, limit },
    hint: {
      code: 'NBS_HINT_OPEN_FILES',
      sep: '. ',
      text: ft`Raise it (as root: 'ulimit -Hn ${need}' in the shell that runs bench; systemd: LimitNOFILE=${need}; docker: --ulimit nofile=${need}:${need}; or /etc/security/limits.conf), lower ${flag}, or spread the load over several machines and merge the reports (docs/distributed.md)`,
    },
  });
}
