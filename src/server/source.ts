import type { FlushSettings } from '../model/flush-presets.js';
import type { Payload } from '../model/payload.js';
import type { Lang } from './request-error.js';

/**
 * The seam between the server and what it streams. A source turns a validated operation into an
 * async iterable of payloads; the flush policy decides when payloads become events on the wire.
 * Each source module is the only importer of its SDK (ping: none; execute: @jupyterlab/services;
 * chat: openai), and the server loads it lazily on first use.
 */

export type { DisplayPayload, ErrorPayload, Payload, ResultPayload, TextPayload } from '../model/payload.js';

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
