import { readdirSync, readFileSync } from 'node:fs';

/**
 * Resident memory of a kernel process, for /metrics. Found in the process table by its connection
 * file (`kernel-<id>.json` on the command line, as jupyter_client launches it), so it works for any
 * server on this machine (managed or not) and gives undefined elsewhere (remote server, no /proc).
 */
export function kernelRssBytes(kernelIds: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  if (kernelIds.length === 0) return out;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const id = kernelIds.find((k) => cmdline.includes(`kernel-${k}.json`));
    if (id === undefined) continue;
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (m?.[1] !== undefined) out.set(id, Number(m[1]) * 1024);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
