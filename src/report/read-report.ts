import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { SCHEMA_VERSION, type Report, type ReportConfiguration } from './report.js';
import { reportErrors } from './validate-report.js';

/**
 * Reads and validates a report file. Unreadable, not JSON, another schema version or not a report:
 * a usage error (exit 2) naming the file (and the flag, when one gave it).
 */
export async function readReportFile(file: string, flag?: string): Promise<Report> {
  const where = flag === undefined ? `'${file}'` : `${flag} '${file}'`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${where}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${where}: not JSON: ${(err as Error).message}`);
  }
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version !== SCHEMA_VERSION) {
    throw new UsageError(`${where}: schemaVersion ${version}, this notebook-stream reads ${SCHEMA_VERSION}`);
  }
  const problems = reportErrors(value);
  if (problems.length > 0) throw new UsageError(`${where}: not a notebook-stream report: ${problems.slice(0, 3).join('; ')}`);
  return value as Report;
}

/**
 * The configuration a command reads (CONTRACT.md: `--select NAME`, required when there are several).
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
