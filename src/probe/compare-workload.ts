import { UsageError } from '../model/errors.js';
import { field, ft } from '../model/field-text.js';

/** What `compare` sends to every configuration (`--source`, with its knobs). */
export interface WorkloadOptions {
  /** ping: tokens per stream, their spacing, the first one's delay. */
  count: number;
  intervalMs: number;
  firstDelayMs: number;
  /** replay: the recording under fixtures/ and its speed (1 = as recorded). */
  fixture: string;
  speed: number;
  /** chat: the model (with the replay upstream, a profile such as `synthetic?ttft_ms=20&tps=50&tokens=20`). */
  model?: string;
  /** chat: an OpenAI-compatible API base; none: compare starts the replay upstream itself. */
  llmBaseUrl?: string;
  /** chat: file holding the API key for `llmBaseUrl`. */
  llmApiKeyFile?: string;
  /** execute: an existing Jupyter Server (else serve starts its managed one). */
  jupyterUrl?: string;
  /** execute: `fixed` (TCP_NODELAY, 10 ms kernel flush) or `stock`. */
  jupyterTuning?: 'fixed' | 'stock';
}

/** execute: ping's rhythm as a cell, printing `count` tokens `intervalMs` apart. */
export function pingCell(o: Pick<WorkloadOptions, 'count' | 'intervalMs' | 'firstDelayMs'>): string {
  return [
    'import time',
    `time.sleep(${o.firstDelayMs / 1000})`,
    `for i in range(${o.count}):`,
    `    print("tok", end=" ", flush=True)`,
    `    if i < ${o.count - 1}: time.sleep(${o.intervalMs / 1000})`,
  ].join('\n');
}

export const DEFAULT_WORKLOAD: Readonly<WorkloadOptions> = {
  count: 20,
  intervalMs: 20,
  // The guide's replica produced its first token 20 ms in (docs/platform-notes.md): one interval.
  firstDelayMs: 20,
  fixture: 'kernel-progress',
  speed: 1,
};

/** chat with the replay upstream: ping's rhythm as an LLM (first token at 20 ms, 50 tokens/s). */
export function defaultChatModel(o: Pick<WorkloadOptions, 'count' | 'intervalMs' | 'firstDelayMs'>): string {
  const tps = o.intervalMs > 0 ? Math.round((1000 / o.intervalMs) * 1000) / 1000 : 1_000_000;
  return `synthetic?ttft_ms=${o.firstDelayMs}&tps=${tps}&tokens=${o.count}`;
}

/** What a source needs around the run: extra `serve` flags, and whatever it started to stop after. */
export interface SourceSetup {
  serveArgs: string[];
  /** One line for the report's warnings / the user: what was started. */
  note: string | null;
  stop(): Promise<void>;
}

/**
 * A source `compare` can drive. `operation` builds the `/send_operation` operation; `serveArgs` are
 * extra `serve` flags the embedded server needs for it (e.g. `--jupyter`). A source whose engine
 * has not landed yet names what it waits for and is refused with exit 2.
 */
export interface CompareSource {
  name: string;
  describe(o: WorkloadOptions): string;
  operation?: (o: WorkloadOptions) => Record<string, unknown>;
  /** Called once before the embedded server starts (e.g. chat starts the replay upstream). */
  prepare?: (o: WorkloadOptions) => Promise<SourceSetup>;
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
    describe: (o) => `a cell on a Jupyter kernel printing ${o.count} tokens ${o.intervalMs} ms apart`,
    operation: (o) => ({ type: 'execute', code: pingCell(o), timeout_s: 120 }),
    // Eager: a machine without Jupyter fails at start-up (exit 3) rather than on every request.
    async prepare(o) {
      const args = ['--jupyter', 'eager'];
      if (o.jupyterUrl !== undefined) args.push('--jupyter-url', o.jupyterUrl);
      if (o.jupyterTuning !== undefined) args.push('--jupyter-tuning', o.jupyterTuning);
      return { serveArgs: args, note: null, stop: async () => {} };
    },
  },
  chat: {
    name: 'chat',
    describe: (o) => `chat completion, model ${o.model ?? defaultChatModel(o)}${o.llmBaseUrl === undefined ? ' on the replay upstream' : ` at ${o.llmBaseUrl}`}`,
    operation: (o) => ({
      type: 'chat',
      model: o.model ?? defaultChatModel(o),
      messages: [{ role: 'user', content: 'How do I stream notebook output without buffering?' }],
    }),
    async prepare(o) {
      if (o.llmBaseUrl !== undefined) {
        if (o.model === undefined) throw new UsageError(ft`${field('source')} chat with ${field('llmBaseUrl')} needs ${field('model')} NAME (the synthetic profiles exist only on the replay upstream)`, {
            code: 'NBS_USAGE_REQUIRES',
          });
        const args = ['--llm-base-url', o.llmBaseUrl];
        if (o.llmApiKeyFile !== undefined) args.push('--llm-api-key-file', o.llmApiKeyFile);
        return { serveArgs: args, note: null, stop: async () => {} };
      }
      const { startUpstreamChild } = await import('./upstream-child.js');
      const upstream = await startUpstreamChild();
      return { serveArgs: ['--llm-base-url', upstream.url], note: `chat: replay upstream at ${upstream.url}`, stop: upstream.stop };
    },
  },
};

export const COMPARE_SOURCE_NAMES = Object.keys(COMPARE_SOURCES);

/** The source by name, or a usage error naming `source` and what is available now. */
export function compareSource(name: string): CompareSource & { operation: (o: WorkloadOptions) => Record<string, unknown> } {
  const s = COMPARE_SOURCES[name];
  const available = Object.values(COMPARE_SOURCES).filter((x) => x.unavailable === undefined && x.operation !== undefined).map((x) => x.name);
  if (s === undefined) throw new UsageError(ft`${field('source')}: unknown source '${name}' (known: ${COMPARE_SOURCE_NAMES.join(', ')})`, { code: 'NBS_USAGE_UNKNOWN', details: { source: name, known: COMPARE_SOURCE_NAMES } });
  if (s.unavailable !== undefined || s.operation === undefined) {
    throw new UsageError(ft`${field('source')} ${name}: ${s.unavailable ?? 'not available'}; available now: ${available.join(', ')}`, { code: 'NBS_USAGE_UNAVAILABLE_SOURCE', details: { source: name, available } });
  }
  return s as CompareSource & { operation: (o: WorkloadOptions) => Record<string, unknown> };
}

/** The request body the embedded server's `/send_operation` takes. */
export function workloadBody(source: string, o: WorkloadOptions): string {
  return JSON.stringify({ notebook_id: 'compare', operation: compareSource(source).operation(o), lang: 'en' });
}
