import type { DoneStatus, NbsErrorCode } from './protocol.js';

/**
 * What a source yields: shared by the server (which turns payloads into events) and the Jupyter
 * room (which turns kernel messages into payloads), so neither imports the other for it.
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
