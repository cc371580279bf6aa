import { execFileSync } from 'node:child_process';

/** Every descendant of `root` (pid and command line), from `ps`: serve's Jupyter Server and kernels. */
export function descendants(root: number): Array<{ pid: number; args: string }> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] as string }));
  const out: Array<{ pid: number; args: string }> = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop() as number;
    for (const r of rows) {
      if (r.ppid === parent && r.args !== '') {
        out.push({ pid: r.pid, args: r.args });
        frontier.push(r.pid);
      }
    }
  }
  return out;
}

/** True while a process with this pid exists (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
