import type { FieldNamer } from '../../model/field-text.js';
import type { KernelPoolStats } from '../../jupyter/kernel-pool.js';
import type { JupyterController } from '../jupyter-controller.js';
import type { SourceDefinition } from '../source.js';
import type { LlmConfig } from './llm-config.js';

/** What a server hands its sources: their configuration, resolved once at start-up. */
export interface SourceDeps {
  /** The chat source's upstream (flags, then OPENAI_BASE_URL, then OPENAI_API_BASE). */
  llm: LlmConfig;
  /** The execute source's Jupyter Server. */
  jupyter: JupyterController;
  /** How messages name serve's options. */
  names: FieldNamer;
}

/** A loaded source; `close()` releases what it holds (connection pools, kernels) on shutdown. */
export interface LoadedSource extends SourceDefinition<any> {
  close?(): Promise<void>;
  /** The execute source's kernels, for /metrics. */
  kernelStats?(): KernelPoolStats | undefined;
}

/**
 * `operation.type` → the source that serves it, loaded on first use so that `serve` without Jupyter
 * or an LLM never loads their SDKs. Add a source with one line here.
 */
export const SOURCE_LOADERS: Readonly<Record<string, (deps: SourceDeps) => Promise<LoadedSource>>> = {
  ping: async () => (await import('./ping.js')).pingSource,
  replay: async () => (await import('./replay.js')).replaySource,
  chat: async (deps) => (await import('./chat.js')).createChatSource(deps.llm, deps.names),
  execute: async (deps) => {
    const { createExecuteSource } = await import('./execute.js');
    const ex = createExecuteSource(deps.jupyter.get, { maxKernels: deps.jupyter.settings.maxKernels, names: deps.names });
    return { ...ex.source, close: ex.close, kernelStats: ex.stats };
  },
};

export function knownOperationTypes(): string[] {
  return Object.keys(SOURCE_LOADERS);
}
