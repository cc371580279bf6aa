import { UsageError } from './errors.js';
import type { Report, ReportConfiguration } from './report.js';

/**
 * The configuration a command reads (docs/reports.md: `--select NAME`, required when there are several).
 */
export function selectConfiguration(report: Report, select: string | undefined, where: string): ReportConfiguration {
  const names = report.configurations.map((c) => c.name);
  if (select !== undefined) {
    const c = report.configurations.find((x) => x.name === select);
    if (c === undefined) throw new UsageError(`--select: ${where} has no configuration '${select}' (it has: ${names.join(', ')})`);
    return c;
  }
  if (report.configurations.length > 1) {
    throw new UsageError(`${where} holds ${names.length} configurations (${names.join(', ')}): pick one with --select NAME`);
  }
  return report.configurations[0]!;
}
