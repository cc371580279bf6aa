import { readFile } from 'node:fs/promises';
import { UsageError } from '../model/errors.js';
import { field, ft } from '../model/field-text.js';
import { SCHEMA_VERSION, type Report } from '../model/report.js';
import { upgradeReport } from '../model/upgrade-report.js';
import { reportErrors } from './validate-report.js';

const FORCE_HINT = { code: 'NBS_HINT_FORCE', text: ft`rerun with ${field('force')} to read it anyway` } as const;

/**
 * Reads and validates a report file. Unreadable, not JSON, another schema version or not a report:
 * a usage error (exit 2) naming the file (and the flag, when one gave it). `force` (merge's) reads a
 * report of another schema version as far as it goes; `force: false` refuses it with a hint to force.
 */
export async function readReportFile(file: string, flag?: string, o: { force?: boolean } = {}): Promise<Report> {
  const where = flag === undefined ? `'${file}'` : `${flag} '${file}'`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${where}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let value: unknown;
  try {
    // A version-1 report is read as version 2 (its warnings kept as text).
    value = upgradeReport(JSON.parse(text));
  } catch (err) {
    throw new UsageError(`${where}: not JSON: ${(err as Error).message}`);
  }
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (o.force !== true && typeof version === 'number' && version !== SCHEMA_VERSION) {
    throw new UsageError(`${where}: schemaVersion ${version}, this notebook-stream reads ${SCHEMA_VERSION}`, o.force === false ? { hint: FORCE_HINT } : undefined);
  }
  const problems = reportErrors(value).filter((p) => !(o.force === true && p.startsWith('/schemaVersion')));
  if (problems.length > 0) throw new UsageError(`${where}: not a notebook-stream report: ${problems.slice(0, 3).join('; ')}`);
  return value as Report;
}
