import type { Report } from '../model/report.js';
import type { RequestFlags } from './build-request-spec.js';
import type { WorkloadOptions } from './compare-workload.js';
import type { BrowserOptions } from './browser-twin.js';

/** What `compare` is asked and what it answers (compare.ts runs it, compare-rounds.ts measures it). */
export interface CompareOptions extends RequestFlags {
  /** Endpoints to compare; empty: the embedded server, one configuration per flush policy. */
  urls: string[];
  /** Column names for the URLs (default: the URL). */
  labels: string[];
  flushPolicies: string[];
  rounds: number;
  /** Streams per configuration per round. */
  requests: number;
  /** Streams in flight at once within a batch (one connection each). */
  concurrency: number;
  /** Requests per connection before round 1, left out of the statistics. */
  warmup: number;
  source: string;
  workload: WorkloadOptions;
  keepTimelines: number;
  /** `--browser`: each batch read by a page in headless Chromium too (compare-browser.ts). */
  browser?: BrowserOptions;
  /** The command line, recorded in the report. */
  args: readonly string[];
}

/** A progress tick: the CLI draws it, the runner never prints. */
export interface CompareProgress {
  round: number;
  rounds: number;
  configuration: string;
  done: number;
  total: number;
}

export interface CompareOutcome {
  report: Report;
  nothingMeasured: boolean;
  reason: string;
  /** True when the signal stopped the run: the report holds the rounds completed before it. */
  interrupted: boolean;
}
