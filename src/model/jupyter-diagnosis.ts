/** What `doctor --jupyter-url` measured and concluded (docs/jupyter.md). */

/**
 * `measureJupyter`: what `doctor --jupyter-url` measures on any Jupyter Server, and
 * `classifyJupyter`, the pure verdict. Two measured causes (docs/platform-notes.md, docs/jupyter.md):
 * Nagle's algorithm on the server's kernel websocket (~40 ms on back-to-back requests) and
 * ipykernel's 200 ms stdout flush interval (a printing loop arrives in lumps).
 */
export interface JupyterMeasurement {
  /** Request sent → first `stream` message, for requests sent right after the previous cell ended (ms). */
  backToBackFirstOutputMs: number[];
  /** The same after an idle gap of ≥ 400 ms (the Nagle delay does not show here). */
  idleFirstOutputMs: number[];
  /** The printing loop: lines printed, `stream` messages received, their arrival times (ms from the request). */
  loop: { lines: number; intervalMs: number; messages: number; arrivalsMs: number[] };
  /** Kernel start (REST start → kernel_info reply), ms. */
  kernelStartMs: number;
}

export type JupyterVerdict = 'OK' | 'NAGLE_DELAY' | 'FLUSH_INTERVAL';

export interface JupyterDiagnosis {
  /** The first cause found, or OK. */
  verdict: JupyterVerdict;
  /** Every cause found, in the order NAGLE_DELAY, FLUSH_INTERVAL. */
  causes: Exclude<JupyterVerdict, 'OK'>[];
  /** One line per check: the number and the threshold it was held against. */
  reasons: string[];
  /** The fix for each cause found. */
  fixes: string[];
}
