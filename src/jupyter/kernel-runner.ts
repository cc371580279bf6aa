import type { Payload } from '../model/payload.js';
import { createJupyterClient, type JupyterClient } from './client.js';
import { KernelPool, KernelPoolError, type KernelPoolOptions, type KernelPoolStats } from './kernel-pool.js';
import { runCell } from './run-cell.js';
import type { JupyterHandle } from './server.js';

/**
 * The execute source's view of Jupyter, without any @jupyterlab/services type: a server handle
 * turned into a kernel pool on first use. src/server/sources/execute.ts talks only to this.
 */
export interface CellRequest {
  notebookId: string;
  kernelName: string;
  code: string;
  timeoutMs?: number | undefined;
  kernelWaitMs: number;
  signal: AbortSignal;
}

/** Why a cell could not start (before any output): the source maps `code` to a RequestError. */
export class CellStartError extends Error {
  readonly code: 'NBS_UNKNOWN_KERNEL' | 'NBS_TOO_MANY_KERNELS' | 'NBS_KERNEL_START_FAILED' | 'NBS_JUPYTER_UNAVAILABLE' | 'NBS_SHUTTING_DOWN';
  readonly retryAfterS: number | undefined;
  constructor(code: CellStartError['code'], message: string, options: { retryAfterS?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CellStartError';
    this.code = code;
    this.retryAfterS = options.retryAfterS;
  }
}

export interface KernelRunner {
  /**
   * Gets (or starts) the notebook's kernel and returns the cell's payload stream. Rejects with
   * CellStartError before anything is streamed.
   */
  start(request: CellRequest): Promise<AsyncIterable<Payload>>;
  stats(): KernelPoolStats | undefined;
  /** Shuts the kernels down and disposes the manager (the process can then exit). */
  close(): Promise<void>;
}

export function createKernelRunner(getJupyter: () => Promise<JupyterHandle>, options: KernelPoolOptions = {}): KernelRunner {
  let state: Promise<{ client: JupyterClient; pool: KernelPool }> | undefined;
  let closed = false;

  const connect = (): Promise<{ client: JupyterClient; pool: KernelPool }> => {
    state ??= (async () => {
      const handle = await getJupyter();
      const client = createJupyterClient(handle);
      return { client, pool: new KernelPool(client, options) };
    })();
    // A failed start is not cached: the next request tries again.
    state.catch(() => {
      state = undefined;
    });
    return state;
  };

  let current: { client: JupyterClient; pool: KernelPool } | undefined;

  return {
    async start(request) {
      if (closed) throw new CellStartError('NBS_SHUTTING_DOWN', 'the server is shutting down');
      let conn: { client: JupyterClient; pool: KernelPool };
      try {
        conn = await connect();
        if (!conn.client.handle.alive()) {
          // The managed server exited under us: drop the connection and ask for a (new) server.
          if (current === conn) current = undefined;
          state = undefined;
          conn.pool.abandon();
          void conn.client.dispose();
          conn = await connect();
        }
        current = conn;
      } catch (err) {
        throw new CellStartError('NBS_JUPYTER_UNAVAILABLE', err instanceof Error ? err.message : String(err), { cause: err, retryAfterS: 5 });
      }
      let names: string[];
      try {
        names = await conn.client.kernelSpecNames();
      } catch (err) {
        // The server went away or refuses us now: forget this connection, so the next execute
        // calls getJupyter() again (which may start a new managed server).
        if (state !== undefined && current === conn) {
          state = undefined;
          current = undefined;
          conn.pool.abandon();
          void conn.client.dispose();
        }
        throw new CellStartError('NBS_JUPYTER_UNAVAILABLE', `Jupyter Server at ${conn.client.handle.url} does not answer: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
          retryAfterS: 5,
        });
      }
      if (!names.includes(request.kernelName)) {
        throw new CellStartError('NBS_UNKNOWN_KERNEL', `unknown kernel spec "${request.kernelName}" (the server has: ${names.join(', ') || 'none'})`);
      }
      let entry;
      try {
        entry = await conn.pool.acquire(request.notebookId, request.kernelName);
      } catch (err) {
        if (err instanceof KernelPoolError) {
          const code = err.kind === 'too_many' ? 'NBS_TOO_MANY_KERNELS' : err.kind === 'closed' ? 'NBS_SHUTTING_DOWN' : 'NBS_KERNEL_START_FAILED';
          throw new CellStartError(code, err.message, err.retryAfterS === undefined ? { cause: err } : { cause: err, retryAfterS: err.retryAfterS });
        }
        throw err;
      }
      return runCell(conn.pool, entry, {
        code: request.code,
        timeoutMs: request.timeoutMs,
        kernelWaitMs: request.kernelWaitMs,
        signal: request.signal,
        reacquire: () => conn.pool.acquire(request.notebookId, request.kernelName),
      });
    },
    stats() {
      return current?.pool.stats();
    },
    async close() {
      closed = true;
      const s = state;
      if (s === undefined) return;
      let conn;
      try {
        conn = await s;
      } catch {
        return;
      }
      if (conn.client.handle.alive()) await conn.pool.close();
      else conn.pool.abandon(); // nobody to ask: do not wait on requests to a dead server
      await conn.client.dispose();
    },
  };
}
