import { UsageError } from './errors.js';
import { field, ft } from './field-text.js';
import type { Report, ReportConfiguration } from './report.js';

/**
 * The configuration a command reads (docs/reports.md: `select`, required when there are several).
 */
export function selectConfiguration(report: Report, select: string | undefined, where: string): ReportConfiguration {
  const names = report.configurations.map((c) => c.name);
  if (select !== undefined) {
    const c = report.configurations.find((x) => x.name === select);
    if (c === undefined) {
      throw new UsageError(ft`${field('select')}: ${where} has no configuration '${select}' (it has: ${names.join(', ')})`, {
        code: 'NBS_USAGE_UNKNOWN',
        details: { configuration: select, known: names },
      });
    }
    return c;
  }
  if (report.configurations.length > 1) {
    throw new UsageError(`${where} holds ${names.length} configurations (${names.join(', ')})`, {
      code: 'NBS_USAGE_AMBIGUOUS',
      details: { known: names },
      hint: { code: 'NBS_HINT_SELECT', text: ft`pick one with ${field('select')} NAME`, sep: ': ' },
    });
  }
  return report.configurations[0]!;
}
