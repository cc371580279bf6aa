import { byFieldName, field, type FieldNamer } from '../model/field-text.js';
import type { Kernel } from '@jupyterlab/services';
import type { JupyterClient } from './client.js';
import { kernelRssBytes } from './kernel-process.js';
import { jupyterLog } from './log.js';
import { FLUSH_INTERVAL_CELL } from './tuning.js';

/** Why a kernel could not be had: the execute source turns `kind` into its NBS_ code. */
export class KernelPoolError extends Error {
  readonly kind: 'too_many' | 'start_failed' | 'closed';
  readonly retryAfterS: number | undefined;
  constructor(kind: KernelPoolError['kind'], message: string, options: { retryAfterS?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KernelPoolError';
    this.kind = kind;
    this.retryAfterS = options.retryAfterS;
  }
}

/** Serialises the cells of one kernel: a cell starts only after the previous one finished (or was given up on). */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  /** Resolves to a release function, or undefined when `signal` aborted first (nothing held). */
  acquire(signal: AbortSignal): Promise<(() => void) | undefined> {
    const previous = this.tail;
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.tail = previous.then(() => mine);
    if (signal.aborted) {
      release();
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => {
      const onAbort = () => {
        release();
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void previous.then(() => {
        if (signal.aborted) return;
        signal.removeEventListener('abort', onAbort);
        resolve(release);
      });
    });
  }
}

/** One kernel of one notebook. */
export interface KernelEntry {
  readonly key: string;
  readonly notebookId: string;
  readonly kernelName: string;
  readonly kernel: Kernel.IKernelConnection;
  readonly lock: Mutex;
  /** Set once the kernel died or was restarted under us: the entry is out of the pool. */
  dead: boolean;
  /** Listeners told when the kernel dies (the running cell ends with NBS_KERNEL_DIED). */
  readonly onDeath: Set<(why: string) => void>;
  /** ms the start took (REST start + websocket + tuning cell). */
  readonly startMs: number;
  lastUsed: number;
  busy: number;
  idleTimer: NodeJS.Timeout | undefined;
}

export interface KernelPoolOptions {
  /** Live kernels at most (`--max-kernels`, default 8); past it acquire() throws `too_many`. */
  maxKernels?: number;
  /** A kernel idle this long is shut down (default 900 s; 0 keeps kernels until close()). */
  idleTimeoutS?: number;
  /** Bound on one kernel start (default 60 s). */
  startTimeoutMs?: number;
  /** How messages name serve's options (field names unless told otherwise). */
  names?: FieldNamer;
}

export interface KernelPoolStats {
  live: number;
  starting: number;
  maxKernels: number;
  /** Start times (ms) of the last up to 100 kernel starts. */
  recentStartMs: number[];
  kernels: { id: string; notebookId: string; name: string; busy: boolean; startMs: number; rssBytes: number | undefined }[];
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Kernels by notebook: one per (notebook_id, kernel spec), started on first use (with the
 * flush-interval start-up cell under `fixed` tuning) and reused after. A kernel that dies is
 * dropped and shut down; the notebook's next cell starts a fresh one.
 */
export class KernelPool {
  private readonly entries = new Map<string, KernelEntry>();
  private readonly starting = new Map<string, Promise<KernelEntry>>();
  private readonly recentStartMs: number[] = [];
  private closed = false;
  readonly maxKernels: number;
  private readonly idleTimeoutS: number;
  private readonly startTimeoutMs: number;
  private readonly names: FieldNamer;

  constructor(
    readonly client: JupyterClient,
    options: KernelPoolOptions = {},
  ) {
    this.maxKernels = options.maxKernels ?? 8;
    this.idleTimeoutS = options.idleTimeoutS ?? 900;
    this.startTimeoutMs = options.startTimeoutMs ?? 60_000;
    this.names = options.names ?? byFieldName;
  }

  /** The notebook's kernel, started if needed. Throws KernelPoolError. */
  async acquire(notebookId: string, kernelName: string): Promise<KernelEntry> {
    if (this.closed) throw new KernelPoolError('closed', 'shutting down');
    const key = `${kernelName}\u0000${notebookId}`;
    const existing = this.entries.get(key);
    if (existing !== undefined && !existing.dead) return this.touch(existing);
    const pending = this.starting.get(key);
    if (pending !== undefined) return this.touch(await pending);
    if (this.entries.size + this.starting.size >= this.maxKernels) {
      throw new KernelPoolError('too_many', `${this.maxKernels} kernels are running (${this.names(field('maxKernels'))}); try again later`, {
        retryAfterS: 5,
      });
    }
    const start = this.start(key, notebookId, kernelName);
    this.starting.set(key, start);
    try {
      const entry = await start;
      if (this.closed) {
        entry.dead = true;
        await this.shutdownKernel(entry.kernel);
        throw new KernelPoolError('closed', 'shutting down');
      }
      this.entries.set(key, entry);
      return this.touch(entry);
    } finally {
      this.starting.delete(key);
    }
  }

  private touch(entry: KernelEntry): KernelEntry {
    entry.lastUsed = performance.now();
    if (entry.idleTimer !== undefined) clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    return entry;
  }

  /** Marks a cell begun/ended on the entry; an entry with no cell for idleTimeoutS is shut down. */
  cellStarted(entry: KernelEntry): void {
    entry.busy++;
    this.touch(entry);
  }

  cellEnded(entry: KernelEntry): void {
    entry.busy = Math.max(0, entry.busy - 1);
    entry.lastUsed = performance.now();
    if (entry.busy === 0 && this.idleTimeoutS > 0 && !entry.dead && !this.closed) {
      entry.idleTimer = setTimeout(() => {
        if (entry.busy === 0) this.drop(entry, `idle for ${this.idleTimeoutS} s`);
      }, this.idleTimeoutS * 1000);
      entry.idleTimer.unref();
    }
  }

  private async start(key: string, notebookId: string, kernelName: string): Promise<KernelEntry> {
    const t0 = performance.now();
    let kernel: Kernel.IKernelConnection | undefined;
    try {
      kernel = await withTimeout(
        this.client.kernels.startNew({ name: kernelName }, { handleComms: false }),
        this.startTimeoutMs,
        'starting the kernel',
      );
      const k = kernel;
      await withTimeout(k.info, this.startTimeoutMs, 'the kernel handshake');
      if (this.client.handle.tuning === 'fixed') {
        const future = k.requestExecute({ code: FLUSH_INTERVAL_CELL, silent: true, store_history: false, allow_stdin: false, stop_on_error: false });
        const reply = await withTimeout(future.done, this.startTimeoutMs, 'the start-up cell');
        if (reply.content.status !== 'ok') throw new Error(`the start-up cell failed (${reply.content.status})`);
      }
    } catch (err) {
      if (kernel !== undefined) void this.shutdownKernel(kernel);
      const message = err instanceof Error ? err.message : String(err);
      throw new KernelPoolError('start_failed', `kernel ${kernelName} could not start: ${message}`, { cause: err });
    }
    const startMs = performance.now() - t0;
    this.recentStartMs.push(startMs);
    if (this.recentStartMs.length > 100) this.recentStartMs.shift();
    const entry: KernelEntry = {
      key,
      notebookId,
      kernelName,
      kernel,
      lock: new Mutex(),
      dead: false,
      onDeath: new Set(),
      startMs,
      lastUsed: performance.now(),
      busy: 0,
      idleTimer: undefined,
    };
    // 'autorestarting': the server found the kernel dead and restarted it (its state is gone and
    // the start-up cell with it); 'dead': restarting failed. Either way: a fresh kernel next time.
    kernel.statusChanged.connect((_, status) => {
      if (status === 'dead' || status === 'autorestarting') this.died(entry, `the kernel died (status ${status})`);
    });
    kernel.connectionStatusChanged.connect((_, status) => {
      if (status === 'disconnected' && !kernel.isDisposed && !this.closed) this.died(entry, 'the connection to the kernel was lost');
    });
    jupyterLog('debug', `kernel ${kernel.id} (${kernelName}) started for a notebook in ${startMs.toFixed(0)} ms`);
    return entry;
  }

  private died(entry: KernelEntry, why: string): void {
    if (entry.dead) return;
    for (const listener of entry.onDeath) listener(why);
    this.drop(entry, why);
  }

  /** Takes the entry out of the pool and shuts its kernel down (in the background). */
  drop(entry: KernelEntry, why: string): void {
    entry.dead = true;
    if (entry.idleTimer !== undefined) clearTimeout(entry.idleTimer);
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    jupyterLog('debug', `kernel ${entry.kernel.id} dropped: ${why}`);
    void this.shutdownKernel(entry.kernel);
  }

  private async shutdownKernel(kernel: Kernel.IKernelConnection): Promise<void> {
    const id = kernel.id;
    // After the server auto-restarts a dead kernel, the library reconnects on its own and rejects
    // that (unawaited) promise if the connection is disposed meanwhile: an unhandled rejection.
    // jupyter_client also fails a DELETE of a kernel that is mid-restart. So wait until the
    // reconnect settled (bounded) before shutting down and disposing.
    // (The reconnect starts a microtask after the status change that told us, hence the first tick.)
    await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 200 && !kernel.isDisposed && kernel.connectionStatus === 'connecting'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      await withTimeout(this.client.kernels.shutdown(id), 10_000, 'kernel shutdown');
    } catch (err) {
      jupyterLog('debug', `kernel ${id} shutdown: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!kernel.isDisposed) kernel.dispose();
  }

  /** For /metrics: live kernels, recent start times, per-kernel RSS (from /proc, when the kernel runs on this machine). */
  stats(): KernelPoolStats {
    const entries = [...this.entries.values()];
    const rss = kernelRssBytes(entries.map((e) => e.kernel.id));
    return {
      live: this.entries.size,
      starting: this.starting.size,
      maxKernels: this.maxKernels,
      recentStartMs: [...this.recentStartMs],
      kernels: entries.map((e) => ({
        id: e.kernel.id,
        notebookId: e.notebookId,
        name: e.kernelName,
        busy: e.busy > 0,
        startMs: e.startMs,
        rssBytes: rss.get(e.kernel.id),
      })),
    };
  }

  /**
   * The server is gone: dispose every kernel connection without asking it anything (its kernels
   * die with it: they watch their parent, and the managed server's stop() ends the rest). A
   * connection left alone would keep retrying its websocket on timers for minutes.
   */
  abandon(): void {
    this.closed = true;
    for (const e of this.entries.values()) {
      e.dead = true;
      if (e.idleTimer !== undefined) clearTimeout(e.idleTimer);
      if (!e.kernel.isDisposed) e.kernel.dispose();
    }
    this.entries.clear();
  }

  /** Shuts every kernel down; later acquire() calls fail with `closed`. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.starting.values()]);
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.allSettled(
      all.map(async (e) => {
        e.dead = true;
        if (e.idleTimer !== undefined) clearTimeout(e.idleTimer);
        await this.shutdownKernel(e.kernel);
      }),
    );
  }
}
