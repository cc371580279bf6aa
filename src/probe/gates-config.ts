import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { UsageError } from '../model/errors.js';
import { field, ft, type FieldText } from '../model/field-text.js';
import { packageRoot } from '../paths.js';
import { parseMaxRegression, parseThreshold, type MaxRegression, type Threshold } from './gate-expression.js';

let validator: ValidateFunction | undefined;

/** The shipped schema (package `files` lists schema/), found from the package root as from the CLI bundle. */
export function gatesSchema(): object {
  return JSON.parse(readFileSync(join(packageRoot(), 'schema', 'gates.schema.json'), 'utf8')) as object;
}

function describe(e: ErrorObject): string {
  const at = e.instancePath === '' ? '/' : e.instancePath;
  if (e.keyword === 'additionalProperties') {
    const key = String((e.params as { additionalProperty?: unknown }).additionalProperty);
    return `${at}: unknown key '${key}' (known: thresholds, max_regression)`;
  }
  return `${at}: ${e.message ?? 'is invalid'}`;
}

/**
 * `gates.json` (schema/gates.schema.json, docs/ci.md): `{ "thresholds": ["…"], "max_regression":
 * ["METRIC.STAT:N%"] }`. A mistake exits 2 naming the file and the JSON path of the value at fault.
 */
export function parseGatesConfig(text: string, file: string): { thresholds: Threshold[]; maxRegressions: MaxRegression[] } {
  const where: FieldText = ft`${field('config')} '${file}'`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(ft`${where}: not JSON: ${(err as Error).message}`, { code: 'NBS_USAGE_FILE', details: { file } });
  }
  validator ??= new Ajv({ allErrors: true, strict: true }).compile(gatesSchema());
  if (!validator(value)) {
    const errors = validator.errors ?? [];
    throw new UsageError(ft`${where}: ${errors.map(describe).join('; ')}`, {
      code: 'NBS_USAGE_FILE',
      details: { file, errors: errors.map((e) => ({ path: e.instancePath === '' ? '/' : e.instancePath, message: e.message ?? 'is invalid' })) },
    });
  }
  const o = value as { thresholds?: string[]; max_regression?: string[] };
  return {
    thresholds: (o.thresholds ?? []).map((t, i) => parseThreshold(t, ft`${where} /thresholds/${i}`)),
    maxRegressions: (o.max_regression ?? []).map((t, i) => parseMaxRegression(t, ft`${where} /max_regression/${i}`)),
  };
}
