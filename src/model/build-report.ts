import { SCHEMA_VERSION, type MachineFacts, type Report, type ReportConfiguration } from './report.js';

/** Where a report was made: filled in by the probe room (probe/machine-facts.ts), which may read the machine. */
export interface ReportEnvironment {
  tool: { name: 'notebook-stream'; version: string };
  node: { version: string };
  machine: MachineFacts;
}

/** Wraps configurations into the versioned envelope with tool, Node and machine facts. */
export function buildReport(command: string, args: readonly string[], configurations: ReportConfiguration[], env: ReportEnvironment): Report {
  return {
    schemaVersion: SCHEMA_VERSION,
    command,
    created_at: new Date().toISOString(),
    tool: { ...env.tool },
    node: { ...env.node },
    machine: { ...env.machine },
    args: [...args],
    configurations,
  };
}
