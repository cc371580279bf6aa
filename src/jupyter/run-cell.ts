import type { KernelMessage } from '@jupyterlab/services';
import type { Payload } from '../model/payload.js';
import type { KernelEntry, KernelPool } from './kernel-pool.js';
import { jupyterLog } from './log.js';

export interface RunCellOptions {
  code: string;
  /** Interrupt the cell after this long (undefined: no limit); the stream ends with status `timeout`. */
  timeoutMs?: number | undefined;
  /**
   * The guide's poller: when no message is ready, sleep this long before looking again
   * (1000 ms guide-before, 100 ms guide-after). 0: event-driven, each message is yielded the
   * moment `onIOPub` delivers it.
   */
  kernelWaitMs: number;
  /** Client gone or server shutting down: interrupt the cell and end at once with `aborted`. */
  signal: AbortSignal;
  /** After an interrupt, how long the cell gets to end before the kernel is given up (default 5 s). */
  interruptGraceMs?: number;
  /**
   * A fresh kernel for the notebook, when the one this cell waited for was dropped meanwhile (the
   * previous cell did not stop after an interrupt): the cell runs there instead of failing.
   */
  reacquire?: () => Promise<KernelEntry>;
}

/** How often an interrupt is repeated while a left cell has not ended (issue 25 item 3). */
const INTERRUPT_REPEAT_MS = 250;

type Item =
  | { kind: 'iopub'; msg: KernelMessage.IIOPubMessage }
  | { kind: 'reply'; msg: KernelMessage.IExecuteReplyMsg }
  | { kind: 'died'; why: string }
  | { kind: 'abort' }
  | { kind: 'timeout' }
  | { kind: 'stuck' };

const asRecord = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** One iopub message → the payload it becomes, or undefined (status, execute_input, comms). */
export function iopubToPayload(msg: KernelMessage.IIOPubMessage): Payload | undefined {
  const content = asRecord(msg.content);
  switch (msg.header.msg_type) {
    case 'stream':
      return { type: content['name'] === 'stderr' ? 'stderr' : 'stdout', text: String(content['text'] ?? '') };
    case 'display_data':
    case 'update_display_data':
    case 'execute_result': {
      const kind = msg.header.msg_type === 'display_data' ? 'display' : msg.header.msg_type === 'update_display_data' ? 'update' : 'execute_result';
      const out: Payload = { type: 'display', kind, data: asRecord(content['data']), metadata: asRecord(content['metadata']) };
      if (content['transient'] !== undefined) out.transient = asRecord(content['transient']);
      return out;
    }
    case 'clear_output':
      // `wait: true` means "clear when the next output arrives" (nbformat); carried in metadata.
      return { type: 'display', kind: 'clear_output', data: {}, metadata: { wait: content['wait'] === true } };
    case 'error': {
      const ename = String(content['ename'] ?? 'Error');
      const evalue = String(content['evalue'] ?? '');
      const traceback = Array.isArray(content['traceback']) ? content['traceback'].map(String) : [];
      return { type: 'error', code: 'NBS_SOURCE_FAILED', message: evalue === '' ? ename : `${ename}: ${evalue}`, ename, evalue, traceback };
    }
    default:
      return undefined;
  }
}

/**
 * Runs one cell on the entry's kernel and yields its output as payloads, then one `result`.
 * Event-driven: `future.onIOPub` fills a queue; the generator yields from it as soon as a message
 * is there, or (with kernelWaitMs > 0) looks again only after sleeping kernelWaitMs, like the
 * guide's poller. Output after `execute_reply` but before `idle` still belongs to the cell:
 * `future.done` resolves only after both, so the reply is queued behind all of the cell's output.
 */
export async function* runCell(pool: KernelPool, first: KernelEntry, options: RunCellOptions): AsyncGenerator<Payload> {
  const { signal } = options;
  const graceMs = options.interruptGraceMs ?? 5000;
  let entry = first;
  let release = await entry.lock.acquire(signal);
  if (release !== undefined && entry.dead && options.reacquire !== undefined) {
    // The previous cell of this notebook was left running and its kernel given up while we waited
    // for the lock: run on a new kernel and say so, instead of failing with NBS_KERNEL_DIED.
    release();
    try {
      entry = await options.reacquire();
    } catch (err) {
      yield { type: 'error', code: 'NBS_KERNEL_DIED', message: `the kernel was restarted and the new one did not start: ${err instanceof Error ? err.message : String(err)}` };
      yield { type: 'result', status: 'error', reason: 'kernel died' };
      return;
    }
    release = await entry.lock.acquire(signal);
    if (release !== undefined) yield { type: 'stderr', text: '[notebook-stream] the previous cell did not stop after an interrupt: this cell runs on a new kernel (earlier variables are gone)\n' };
  }
  if (release === undefined) {
    yield { type: 'result', status: 'aborted', reason: 'the client went away before the cell started' };
    return;
  }
  pool.cellStarted(entry);
  const queue: Item[] = [];
  let wake: (() => void) | undefined;
  /** Control items (abort, timeout, death) also cut a poller's sleep short; output does not. */
  let urgent: (() => void) | undefined;
  const push = (item: Item) => {
    queue.push(item);
    wake?.();
    if (item.kind !== 'iopub' && item.kind !== 'reply') urgent?.();
  };
  const timers: NodeJS.Timeout[] = [];
  const onAbort = () => push({ kind: 'abort' });
  const onDeath = (why: string) => push({ kind: 'died', why });
  let finished = false;
  let interrupted: 'timeout' | undefined;
  let future: ReturnType<typeof entry.kernel.requestExecute> | undefined;

  const interrupt = () => {
    entry.kernel.interrupt().catch((err: unknown) => {
      jupyterLog('debug', `interrupt of kernel ${entry.kernel.id} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  };

  try {
    if (entry.dead) {
      yield { type: 'error', code: 'NBS_KERNEL_DIED', message: 'the kernel died before the cell could run' };
      yield { type: 'result', status: 'error', reason: 'kernel died' };
      return;
    }
    if (signal.aborted) {
      // Gone before the cell was sent (a client that leaves right after the headers): never send it.
      finished = true;
      yield { type: 'result', status: 'aborted', reason: 'the client went away before the cell started' };
      return;
    }
    entry.onDeath.add(onDeath);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      future = entry.kernel.requestExecute({
        code: options.code,
        silent: false,
        store_history: true,
        allow_stdin: false,
        stop_on_error: true,
      });
    } catch (err) {
      // "Kernel is dead" / disposed connection: the kernel went away between acquire and now.
      finished = true;
      if (!entry.dead) pool.drop(entry, 'requestExecute failed');
      yield { type: 'error', code: 'NBS_KERNEL_DIED', message: `the kernel is gone (${err instanceof Error ? err.message : String(err)}); the next cell starts a new kernel` };
      yield { type: 'result', status: 'error', reason: 'kernel died' };
      return;
    }
    future.onIOPub = (msg) => push({ kind: 'iopub', msg });
    future.done.then(
      (msg) => push({ kind: 'reply', msg }),
      () => push({ kind: 'died', why: 'the kernel connection closed before the cell finished' }),
    );
    if (options.timeoutMs !== undefined) timers.push(setTimeout(() => push({ kind: 'timeout' }), options.timeoutMs));

    for (;;) {
      const item = queue.shift();
      if (item === undefined) {
        if (options.kernelWaitMs > 0) {
          // The guide's poller: nothing ready → sleep the whole wait, then look again.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, options.kernelWaitMs);
            function done() {
              clearTimeout(timer);
              urgent = undefined;
              resolve();
            }
            urgent = done;
          });
        } else {
          await new Promise<void>((resolve) => {
            wake = () => {
              wake = undefined;
              resolve();
            };
          });
        }
        continue;
      }
      switch (item.kind) {
        case 'iopub': {
          const payload = iopubToPayload(item.msg);
          if (payload === undefined) break;
          // The KeyboardInterrupt our own timeout caused is not the cell's error.
          if (interrupted !== undefined && payload.type === 'error' && payload.ename === 'KeyboardInterrupt') break;
          yield payload;
          break;
        }
        case 'reply': {
          finished = true;
          const content = item.msg.content as { status: string; execution_count?: number };
          const executionCount = typeof content.execution_count === 'number' ? content.execution_count : null;
          if (interrupted === 'timeout') {
            yield { type: 'result', status: 'timeout', reason: `timeout_s passed: the cell was interrupted`, execution_count: executionCount };
          } else if (content.status === 'ok') {
            yield { type: 'result', status: 'ok', execution_count: executionCount };
          } else if (content.status === 'aborted') {
            yield { type: 'result', status: 'error', reason: 'the kernel skipped the cell after an earlier error', execution_count: executionCount };
          } else {
            yield { type: 'result', status: 'error', reason: 'the cell raised an error', execution_count: executionCount };
          }
          return;
        }
        case 'died':
          finished = true;
          yield { type: 'error', code: 'NBS_KERNEL_DIED', message: `${item.why}; the next cell starts a new kernel` };
          yield { type: 'result', status: 'error', reason: 'kernel died' };
          return;
        case 'abort':
          // Interrupt and leave at once; the finally block waits for the cell in the background.
          yield { type: 'result', status: 'aborted', reason: 'the client went away or the server is shutting down' };
          return;
        case 'timeout':
          if (interrupted === undefined) {
            interrupted = 'timeout';
            interrupt();
            timers.push(setTimeout(() => push({ kind: 'stuck' }), graceMs));
          }
          break;
        case 'stuck':
          yield { type: 'result', status: 'timeout', reason: `timeout_s passed and the cell did not stop within ${graceMs} ms of an interrupt: the kernel is restarted` };
          return;
      }
    }
  } finally {
    for (const t of timers) clearTimeout(t);
    signal.removeEventListener('abort', onAbort);
    entry.onDeath.delete(onDeath);
    wake = undefined;
    urgent = undefined;
    if (finished || future === undefined || entry.dead) {
      pool.cellEnded(entry);
      release();
    } else {
      // Left before the cell ended (abort, stuck, consumer stopped): interrupt it and hold the
      // kernel's lock until the cell is done, so the notebook's next cell finds the kernel idle.
      // An interrupt that reaches the kernel before it picked up the execute request is lost (the
      // kernel was idle): repeat it until the cell ends or the grace is over.
      interrupt();
      const repeat = setInterval(interrupt, INTERRUPT_REPEAT_MS);
      repeat.unref();
      const done = future.done.then(
        () => true,
        () => false,
      );
      const grace = new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref());
      void Promise.race([done, grace]).then((ok) => {
        clearInterval(repeat);
        if (!ok && !entry.dead) pool.drop(entry, 'the cell did not stop after an interrupt');
        pool.cellEnded(entry);
        release();
      });
    }
  }
}
