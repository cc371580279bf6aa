import type { FlushSettings } from '../flush-presets.js';
import type { DoneStatus, NbsErrorCode } from '../protocol.js';
import type { Lang } from './request-error.js';

/**
 * The seam between the server and what it streams. A source turns a validated operation into an
 * async iterable of payloads; the flush policy decides when payloads become events on the wire.
 * Each source module is the only importer of its SDK (ping: none; execute: @jupyterlab/services;
 * chat: openai), and the server loads it lazily on first use.
 */

/** Text the flush policy may coalesce (consecutive payloads of one type). */
export interface TextPayload {
  type: 'chunk' | 'stdout' | 'stderr';
  text: string;
}

/** Rich output (Jupyter display_data, update_display_data, execute_result, clear_output). */
export interface DisplayPayload {
  type: 'display';
  kind: 'display' | 'update' | 'execute_result' | 'clear_output';
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: Record<string, unknown>;
}

/** A failure inside the stream: becomes an `error` event; the stream then ends with `done`. */
export interface ErrorPayload {
  type: 'error';
  code: NbsErrorCode;
  message: string;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** Facts for the `done` event (not an event itself). The last one a source yields wins. */
export interface ResultPayload {
  type: 'result';
  status?: DoneStatus;
  reason?: string;
  execution_count?: number | null;
  usage?: Record<string, unknown>;
  finish_reason?: string | null;
}

export type Payload = TextPayload | DisplayPayload | ErrorPayload | ResultPayload;

/** What a source gets when it opens a stream. */
export interface SourceContext {
  /** Aborted when the client disconnects, the server shuts down or the stream times out. */
  signal: AbortSignal;
  /** The stream's flush settings: the kernel source reads `kernelWaitMs` from here. */
  settings: Readonly<FlushSettings>;
  notebookId: string;
  lang: Lang;
}

export interface SourceDefinition<Op = unknown> {
  /** The `operation.type` this source serves. */
  readonly type: string;
  /**
   * Checks the operation's fields and returns the source's options. Throws RequestError
   * (`NBS_INVALID_BODY`, …) with a message in `lang` naming the field at fault.
   */
  validate(operation: Record<string, unknown>, lang: Lang): Op;
  /**
   * Starts producing. May reject with RequestError before anything is streamed (unknown kernel,
   * upstream refused): the client then gets a 4xx/5xx instead of a stream. The iterable must end
   * promptly once `ctx.signal` aborts (clear timers, interrupt kernels, abort upstream requests).
   */
  open(op: Op, ctx: SourceContext): Promise<AsyncIterable<Payload>>;
}
