import { packageVersion } from '../version.js';
import { machineFacts } from './machine-facts.js';
import { SCHEMA_VERSION, type Report, type ReportConfiguration } from './report.js';

/** Wraps configurations into the versioned envelope with tool, Node and machine facts. */
export function buildReport(command: string, args: readonly string[], configurations: ReportConfiguration[]): Report {
  return {
    schemaVersion: SCHEMA_VERSION,
    command,
    created_at: new Date().toISOString(),
    tool: { name: 'notebook-stream', version: packageVersion() },
    node: { version: process.version },
    machine: machineFacts(),
    args: [...args],
    configurations,
  };
}
