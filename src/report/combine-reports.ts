import path from 'node:path';
import type { Report, ReportConfiguration } from '../model/report.js';

/**
 * Several reports as one: the first report's envelope (command, date, machine, versions) and
 * every configuration of every report, in order. A configuration keeps its name unless an earlier
 * one took it (then `NAME (FILE)`), and one measured elsewhere (another machine, Node or tool
 * version) says so in its warnings, so the page never silently compares unlike runs.
 */
export function combineReports(reports: ReadonlyArray<{ file: string; report: Report }>): Report {
  const first = reports[0];
  if (first === undefined) throw new Error('combineReports: no reports');
  if (reports.length === 1) return first.report;
  const names = new Set<string>();
  const configurations: ReportConfiguration[] = [];
  for (const { file, report } of reports) {
    const differs = differences(first.report, report);
    const base = path.basename(file);
    for (const c of report.configurations) {
      let name = c.name;
      for (let k = 2; names.has(name); k++) name = k === 2 ? `${c.name} (${base})` : `${c.name} (${base} #${k})`;
      names.add(name);
      const warnings = [...c.warnings];
      if (differs.length > 0) warnings.push({ code: 'different_setup', count: 1, details: { file, differs, first: first.file } });
      configurations.push({ ...c, name, warnings });
    }
  }
  return { ...first.report, configurations };
}

function differences(a: Report, b: Report): string[] {
  const out: string[] = [];
  const ma = a.machine;
  const mb = b.machine;
  if (ma.nproc !== mb.nproc || ma.cpu_model !== mb.cpu_model || ma.platform !== mb.platform || ma.arch !== mb.arch) {
    out.push(`machine (${mb.nproc} × ${mb.cpu_model}, ${mb.platform}/${mb.arch})`);
  }
  if (a.node.version !== b.node.version) out.push(`Node (${b.node.version})`);
  if (a.tool.version !== b.tool.version) out.push(`notebook-stream (${b.tool.version})`);
  return out;
}
