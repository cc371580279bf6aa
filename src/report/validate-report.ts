import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Report } from '../model/report.js';

let validator: ValidateFunction | undefined;

/** The shipped schema (package `files` lists schema/): dist/src/report/ → ../../../schema/. */
export function reportSchema(): object {
  return JSON.parse(readFileSync(new URL('../../../schema/report.schema.json', import.meta.url), 'utf8')) as object;
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
