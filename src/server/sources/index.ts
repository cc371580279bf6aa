import type { SourceDefinition } from '../source.js';

/**
 * `operation.type` → the source that serves it, loaded on first use so that `serve` without Jupyter
 * or an LLM never loads their SDKs. Add a source with one line here.
 */
export const SOURCE_LOADERS: Readonly<Record<string, () => Promise<SourceDefinition<any>>>> = {
  ping: async () => (await import('./ping.js')).pingSource,
  replay: async () => (await import('./replay.js')).replaySource,
};

export function knownOperationTypes(): string[] {
  return Object.keys(SOURCE_LOADERS);
}
