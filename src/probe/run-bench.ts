import { performance } from 'node:perf_hooks';
import { LoopDelaySampler } from './loop-delay-sampler.js';
import type { StreamRecord } from '../model/record.js';
import type { RequestSpec } from './request-spec.js';
import { openStreamClient } from './open-stream-client.js';
import type { RunResult } from './summarize-run.js';

export interface BenchPlan {
  /** Measured requests. */
  requests: number;
  /** Requests before them, measured but left out of the statistics. */
  warmup: number;
}

/** Called after each request: the CLI's progress line listens; the runner never prints. */
export type OnRecord = (record: StreamRecord, done: number, total: number) => void;

/**
 * Closed model: requests one after another on one client, each starting when the previous one
 * ended, so its intended start is its actual start. A failed request is recorded and the run goes on.
 */
export async function runBench(spec: RequestSpec, plan: BenchPlan, onRecord?: OnRecord, signal?: AbortSignal): Promise<RunResult> {
  const client = openStreamClient(spec);
  const sampler = new LoopDelaySampler();
  const records: StreamRecord[] = [];
  const total = plan.warmup + plan.requests;
  const startedAt = new Date();
  let t0 = performance.now();
  let cpu0 = process.cpuUsage();
  sampler.start();
  // An interrupt ends the request in flight as `aborted` and stops the run; the records so far
  // still make a report (hyperfine's rule: a later failure loses nothing already measured).
  const onAbort = () => client.abort();
  signal?.addEventListener('abort', onAbort);
  try {
    for (let i = 0; i < total && signal?.aborted !== true; i++) {
      const warmup = i < plan.warmup;
      if (i === plan.warmup) {
        // Rates and CPU cover the measured requests only.
        t0 = performance.now();
        cpu0 = process.cpuUsage();
        sampler.histogram.reset();
      }
      const record = await client.request(i, warmup);
      records.push(record);
      onRecord?.(record, i + 1, total);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    sampler.stop();
    await client.close();
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { records, startedAt, wallMs, cpuUs: cpu.user + cpu.system, loopDelay: sampler.histogram };
}
