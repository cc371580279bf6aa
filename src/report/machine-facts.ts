import os from 'node:os';
import type { MachineFacts } from './report.js';

/** What a reader needs to judge a figure: cores, CPU model, OS (CONTRACT.md, "Where numbers live"). */
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
