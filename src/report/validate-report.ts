import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Report } from '../model/report.js';
import { packageRoot } from '../paths.js';

let validator: ValidateFunction | undefined;

/** The shipped schema (package `files` lists schema/), at the package root. */
export function reportSchema(): object {
  return JSON.parse(readFileSync(join(packageRoot(), 'schema', 'report.schema.json'), 'utf8')) as object;
}

/** The schema's complaints about `value`, one line each; empty when it is a valid report. */
export function reportErrors(value: unknown): string[] {
  validator ??= new Ajv({ allErrors: true, strict: true }).compile(reportSchema());
  if (validator(value)) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

export function isReport(value: unknown): value is Report {
  return reportErrors(value).length === 0;
}
