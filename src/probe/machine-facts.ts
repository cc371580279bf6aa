import os from 'node:os';
import type { ReportEnvironment } from '../model/build-report.js';
import type { MachineFacts } from '../model/report.js';
import { packageVersion } from '../version.js';

/** What a reader needs to judge a figure: cores, CPU model, OS (docs/reports.md, "Where numbers live"). */
export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    nproc: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    platform: os.platform(),
    arch: os.arch(),
    total_memory_bytes: os.totalmem(),
  };
}

/** This process's tool, Node and machine facts, for `buildReport`. */
export function reportEnvironment(): ReportEnvironment {
  return { tool: { name: 'notebook-stream', version: packageVersion() }, node: { version: process.version }, machine: machineFacts() };
}
