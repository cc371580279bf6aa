import { UsageError } from '../errors.js';

/** What `compare` sends to every configuration (`--source`, with its knobs). */
export interface WorkloadOptions {
  /** ping: tokens per stream, their spacing, the first one's delay. */
  count: number;
  intervalMs: number;
  firstDelayMs: number;
  /** replay: the recording under fixtures/ and its speed (1 = as recorded). */
  fixture: string;
  speed: number;
}

export const DEFAULT_WORKLOAD: Readonly<WorkloadOptions> = {
  count: 20,
  intervalMs: 20,
  // The guide's replica produced its first token 20 ms in (FIELD-NOTES.md): one interval.
  firstDelayMs: 20,
  fixture: 'kernel-progress',
  speed: 1,
};

/**
 * A source `compare` can drive. `operation` builds the `/send_operation` operation; `serveArgs` are
 * extra `serve` flags the embedded server needs for it (e.g. `--jupyter`). A source whose engine
 * has not landed yet names what it waits for and is refused with exit 2.
 */
export interface CompareSource {
  name: string;
  describe(o: WorkloadOptions): string;
  operation?: (o: WorkloadOptions) => Record<string, unknown>;
  serveArgs?: readonly string[];
  /** Set while the source is not available in this build: why, in one line. */
  unavailable?: string;
}

export const COMPARE_SOURCES: Readonly<Record<string, CompareSource>> = {
  ping: {
    name: 'ping',
    describe: (o) => `ping, ${o.count} tokens ${o.intervalMs} ms apart, first after ${o.firstDelayMs} ms`,
    operation: (o) => ({ type: 'ping', count: o.count, interval_ms: o.intervalMs, first_delay_ms: o.firstDelayMs, token: 'tok ' }),
  },
  replay: {
    name: 'replay',
    describe: (o) => `replay of fixtures/${o.fixture}.json at speed ${o.speed}`,
    operation: (o) => ({ type: 'replay', fixture: o.fixture, speed: o.speed }),
  },
  execute: {
    name: 'execute',
    describe: () => 'execute a cell on a Jupyter kernel',
    unavailable: 'the Jupyter execute source (serve --jupyter) has not landed in this build yet',
  },
  chat: {
    name: 'chat',
    describe: () => 'an LLM chat completion through the replay upstream',
    unavailable: 'the LLM chat source and its replay upstream have not landed in this build yet',
  },
};

export const COMPARE_SOURCE_NAMES = Object.keys(COMPARE_SOURCES);

/** The source by name, or a usage error naming `--source` and what is available now. */
export function compareSource(name: string): CompareSource & { operation: (o: WorkloadOptions) => Record<string, unknown> } {
  const s = COMPARE_SOURCES[name];
  const available = Object.values(COMPARE_SOURCES).filter((x) => x.unavailable === undefined && x.operation !== undefined).map((x) => x.name);
  if (s === undefined) throw new UsageError(`--source: unknown source '${name}' (known: ${COMPARE_SOURCE_NAMES.join(', ')})`);
  if (s.unavailable !== undefined || s.operation === undefined) {
    throw new UsageError(`--source ${name}: ${s.unavailable ?? 'not available'}; available now: ${available.join(', ')}`);
  }
  return s as CompareSource & { operation: (o: WorkloadOptions) => Record<string, unknown> };
}

/** The request body the embedded server's `/send_operation` takes. */
export function workloadBody(source: string, o: WorkloadOptions): string {
  return JSON.stringify({ notebook_id: 'compare', operation: compareSource(source).operation(o), lang: 'en' });
}
