import { byFieldName, field, type FieldNamer } from '../model/field-text.js';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { createJupyterClient } from './client.js';
import { connectJupyter } from './server.js';
import { FLUSH_INTERVAL_CELL } from './tuning.js';
import type { JupyterDiagnosis, JupyterMeasurement } from '../model/jupyter-diagnosis.js';

/**
 * Back-to-back first output at or above this median (ms) is the Nagle delay. Measured on
 * jupyter-server 1.23: stock median 47.8 ms (43.7–51.6), with TCP_NODELAY 5.5 ms (3.5–7.6); the
 * delayed-ACK timer that Nagle waits on is ≥ 40 ms on Linux, so 25 ms separates the two with margin
 * on both sides and stays above a slow machine's ordinary round trip.
 */
export const NAGLE_THRESHOLD_MS = 25;
/**
 * ... and it must exceed the idle-gap median by this much: a server that is simply slow is slow
 * after a pause too; the Nagle delay shows only on back-to-back requests.
 */
export const NAGLE_EXCESS_MS = 15;
/**
 * A loop printing `lines` lines `intervalMs` apart (8 × 50 ms) that arrives in at most this share
 * of `lines` messages is lumped by the flush interval: stock ipykernel (0.2 s) gives a median of
 * 2 messages for 8 lines, flush_interval 0.01 gives 8.
 */
export const FLUSH_LUMP_SHARE = 0.5;
/**
 * ... or whose first line (printed at once) arrives this many print intervals late: stock lumps
 * arrive at ~200 ms (the flush interval), line-by-line output at ~5–10 ms (+40 ms at most with
 * the Nagle delay), so 3 × 50 ms separates them even when a lump splits into several messages.
 */
export const FLUSH_FIRST_LINE_INTERVALS = 3;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function classifyJupyter(m: JupyterMeasurement, names: FieldNamer = byFieldName): JupyterDiagnosis {
  const tuningFixed = `${names(field('jupyterTuning'))} fixed`;
  const causes: JupyterDiagnosis['causes'] = [];
  const reasons: string[] = [];
  const fixes: string[] = [];
  const b2b = median(m.backToBackFirstOutputMs);
  const idle = median(m.idleFirstOutputMs);
  const excess = Number.isNaN(idle) ? b2b : b2b - idle;
  if (!Number.isNaN(b2b)) {
    const nagle = b2b >= NAGLE_THRESHOLD_MS && excess >= NAGLE_EXCESS_MS;
    reasons.push(
      `back-to-back first output median ${b2b.toFixed(1)} ms (after an idle gap ${Number.isNaN(idle) ? 'n/a' : `${idle.toFixed(1)} ms`}); ` +
        `Nagle delay when ≥ ${NAGLE_THRESHOLD_MS} ms and ≥ ${NAGLE_EXCESS_MS} ms above the idle case`,
    );
    if (nagle) {
      causes.push('NAGLE_DELAY');
      fixes.push(
        `set TCP_NODELAY in the kernel websocket handler's open() (a jupyter_server_config.py wrapping ZMQChannelsHandler.open on 1.x, KernelWebsocketHandler.open on 2.x): notebook-stream serve ${tuningFixed} does this for its managed server`,
      );
    }
  }
  if (m.loop.lines > 0) {
    const firstMs = m.loop.arrivalsMs[0];
    const lateFirst = firstMs !== undefined && firstMs >= m.loop.intervalMs * FLUSH_FIRST_LINE_INTERVALS;
    const lumped = m.loop.messages <= m.loop.lines * FLUSH_LUMP_SHARE || lateFirst;
    reasons.push(
      `${m.loop.lines} prints ${m.loop.intervalMs} ms apart arrived as ${m.loop.messages} stream messages, the first after ` +
        `${firstMs === undefined ? 'n/a' : `${firstMs.toFixed(1)} ms`}; flush-interval lumps when ≤ ${m.loop.lines * FLUSH_LUMP_SHARE} messages ` +
        `or the first after ≥ ${m.loop.intervalMs * FLUSH_FIRST_LINE_INTERVALS} ms`,
    );
    if (lumped) {
      causes.push('FLUSH_INTERVAL');
      fixes.push(`lower ipykernel's OutStream.flush_interval (0.2 s) in each kernel: run sys.stdout.flush_interval = sys.stderr.flush_interval = 0.01 once at start-up (${tuningFixed} does)`);
    }
  }
  return { verdict: causes[0] ?? 'OK', causes, reasons, fixes };
}

export interface MeasureJupyterOptions {
  url: string;
  /** How messages name the options (field names unless told otherwise). */
  names?: FieldNamer;
  token?: string;
  kernel?: string;
  /** Back-to-back requests (default 20). */
  samples?: number;
  /** Requests after an idle gap (default 3). */
  idleSamples?: number;
  /** Bound on each cell (default 10 s). */
  cellTimeoutMs?: number;
  /**
   * Run the flush-interval start-up cell first, as notebook-stream's own kernels do under `fixed`
   * tuning (default false: measure the kernel exactly as the server starts it).
   */
  tuneKernel?: boolean;
}

const LOOP_LINES = 8;
const LOOP_INTERVAL_MS = 50;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `code` and returns the arrival times (ms from the request) of its `stream` messages. */
async function timeCell(kernel: Kernel.IKernelConnection, code: string, timeoutMs: number): Promise<number[]> {
  const arrivals: number[] = [];
  const t0 = performance.now();
  const future = kernel.requestExecute({ code, silent: false, store_history: false, allow_stdin: false, stop_on_error: true });
  future.onIOPub = (msg: KernelMessage.IIOPubMessage) => {
    if (msg.header.msg_type === 'stream') arrivals.push(performance.now() - t0);
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      future.done,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`a measuring cell took longer than ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  return arrivals;
}

/**
 * Starts a kernel on the server as it is (no tuning cell), measures, shuts the kernel down.
 * Throws JupyterUnavailableError when the server is unreachable or refuses the token.
 */
export async function measureJupyter(options: MeasureJupyterOptions): Promise<JupyterMeasurement> {
  const handle = await connectJupyter({ url: options.url, tuning: 'stock', ...(options.names === undefined ? {} : { names: options.names }), ...(options.token === undefined ? {} : { token: options.token }) });
  const client = createJupyterClient(handle);
  const timeoutMs = options.cellTimeoutMs ?? 10_000;
  let kernel: Kernel.IKernelConnection | undefined;
  try {
    const t0 = performance.now();
    kernel = await client.kernels.startNew({ name: options.kernel ?? 'python3' }, { handleComms: false });
    await kernel.info;
    const kernelStartMs = performance.now() - t0;
    if (options.tuneKernel === true) {
      await kernel.requestExecute({ code: FLUSH_INTERVAL_CELL, silent: true, store_history: false, allow_stdin: false, stop_on_error: false }).done;
    }
    for (let i = 0; i < 2; i++) await timeCell(kernel, 'print("warm-up")', timeoutMs);
    const backToBack: number[] = [];
    for (let i = 0; i < (options.samples ?? 20); i++) {
      const arrivals = await timeCell(kernel, 'print("x")', timeoutMs);
      if (arrivals[0] !== undefined) backToBack.push(arrivals[0]);
    }
    const idle: number[] = [];
    for (let i = 0; i < (options.idleSamples ?? 3); i++) {
      await sleep(400);
      const arrivals = await timeCell(kernel, 'print("x")', timeoutMs);
      if (arrivals[0] !== undefined) idle.push(arrivals[0]);
    }
    const loopCode = `import time\nfor i in range(${LOOP_LINES}):\n    print(i, flush=False)\n    time.sleep(${LOOP_INTERVAL_MS / 1000})\n`;
    const loopArrivals = await timeCell(kernel, loopCode, timeoutMs);
    return {
      backToBackFirstOutputMs: backToBack,
      idleFirstOutputMs: idle,
      loop: { lines: LOOP_LINES, intervalMs: LOOP_INTERVAL_MS, messages: loopArrivals.length, arrivalsMs: loopArrivals },
      kernelStartMs,
    };
  } finally {
    if (kernel !== undefined) {
      try {
        await client.kernels.shutdown(kernel.id);
      } catch {
        // the server's culler takes it
      }
      if (!kernel.isDisposed) kernel.dispose();
    }
    await client.dispose();
  }
}
