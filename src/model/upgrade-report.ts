import { legacyWarning } from './warnings.js';

/**
 * A report as this version reads it: version 1 (warnings as free text) becomes version 2 with
 * each warning kept as `{ code: 'legacy', count: 1, details: { message } }` (docs/reports.md,
 * "Schema versions"); anything else is returned as it is, for the schema to judge.
 */
export function upgradeReport(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const r = value as { schemaVersion?: unknown; configurations?: unknown };
  if (r.schemaVersion !== 1) return value;
  // Not a report otherwise: the schema says what is wrong with it.
  if (!Array.isArray(r.configurations)) return { ...r, schemaVersion: 2 };
  return {
    ...r,
    schemaVersion: 2,
    configurations: r.configurations.map((c: unknown) => {
      if (typeof c !== 'object' || c === null) return c;
      const warnings = (c as { warnings?: unknown }).warnings;
      if (!Array.isArray(warnings)) return c;
      return { ...c, warnings: warnings.map((w: unknown) => (typeof w === 'string' ? legacyWarning(w) : w)) };
    }),
  };
}
