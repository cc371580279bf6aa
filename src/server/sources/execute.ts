import { createKernelRunner, CellStartError } from '../../jupyter/kernel-runner.js';
import type { KernelPoolOptions, KernelPoolStats } from '../../jupyter/kernel-pool.js';
import type { JupyterHandle } from '../../jupyter/server.js';
import { RequestError, say, type Lang, invalidBody as invalid } from '../request-error.js';
import type { SourceDefinition } from '../source.js';

/**
 * `execute`: runs `code` in the notebook's Jupyter kernel and streams its iopub output
 * (docs/jupyter.md). `{"type":"execute","code":"…","timeout_s":N,"kernel":"python3"}`.
 * All Jupyter work is in src/jupyter (the only importer of @jupyterlab/services).
 */
export interface ExecuteOptions {
  code: string;
  /** Seconds; undefined: no limit. */
  timeoutS: number | undefined;
  kernel: string;
}

export const EXECUTE_LIMITS = {
  codeChars: 1_048_576,
  timeout_s: { min: 0.001, max: 86_400 },
  defaultKernel: 'python3',
} as const;

export interface ExecuteSourceOptions extends KernelPoolOptions {}

/** The source plus the handles `serve` needs: `close()` on shutdown, `stats()` for /metrics. */
export interface ExecuteSource {
  source: SourceDefinition<ExecuteOptions>;
  /** Shuts the kernels down and disposes the managers. Does not stop the Jupyter server (its owner does). */
  close(): Promise<void>;
  /** Live kernels, start times; undefined before the first execute connected. */
  stats(): KernelPoolStats | undefined;
}

const ZH_LEAD: Record<CellStartError['code'], string> = {
  NBS_JUPYTER_UNAVAILABLE: 'Jupyter 服务不可用',
  NBS_UNKNOWN_KERNEL: '未知的内核',
  NBS_TOO_MANY_KERNELS: '运行中的内核已达上限',
  NBS_KERNEL_START_FAILED: '内核启动失败',
  NBS_SHUTTING_DOWN: '服务正在关闭',
};

export function validateExecute(op: Record<string, unknown>, lang: Lang): ExecuteOptions {
  const code = op['code'];
  if (typeof code !== 'string') {
    throw invalid(lang, 'operation.code must be a string (the cell\'s source)', 'operation.code 必须是字符串（单元格代码）');
  }
  if (code.length > EXECUTE_LIMITS.codeChars) {
    throw invalid(lang, `operation.code is longer than ${EXECUTE_LIMITS.codeChars} characters`, `operation.code 超过 ${EXECUTE_LIMITS.codeChars} 个字符`);
  }
  const t = op['timeout_s'];
  let timeoutS: number | undefined;
  if (t !== undefined && t !== null) {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < EXECUTE_LIMITS.timeout_s.min || t > EXECUTE_LIMITS.timeout_s.max) {
      throw invalid(
        lang,
        `operation.timeout_s must be a number of seconds from ${EXECUTE_LIMITS.timeout_s.min} to ${EXECUTE_LIMITS.timeout_s.max}`,
        `operation.timeout_s 必须是 ${EXECUTE_LIMITS.timeout_s.min} 到 ${EXECUTE_LIMITS.timeout_s.max} 之间的秒数`,
      );
    }
    timeoutS = t;
  }
  const k = op['kernel'];
  let kernel: string = EXECUTE_LIMITS.defaultKernel;
  if (k !== undefined && k !== null) {
    if (typeof k !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(k)) {
      throw new RequestError(
        'NBS_UNKNOWN_KERNEL',
        say(lang, 'operation.kernel must be a kernel spec name such as "python3"', 'operation.kernel 必须是内核名称，例如 "python3"'),
      );
    }
    kernel = k;
  }
  return { code, timeoutS, kernel };
}

/**
 * Builds the execute source over a Jupyter server: `getJupyter` is called on the first execute
 * (serve's `--jupyter lazy`) or returns an already started/connected handle (`eager`,
 * `--jupyter-url`). Its rejection becomes 503 NBS_JUPYTER_UNAVAILABLE with the reason, and the
 * next execute calls it again.
 */
export function createExecuteSource(getJupyter: () => Promise<JupyterHandle>, options: ExecuteSourceOptions = {}): ExecuteSource {
  const runner = createKernelRunner(getJupyter, options);
  const source: SourceDefinition<ExecuteOptions> = {
    type: 'execute',
    validate: validateExecute,
    async open(op, ctx) {
      try {
        return await runner.start({
          notebookId: ctx.notebookId,
          kernelName: op.kernel,
          code: op.code,
          timeoutMs: op.timeoutS === undefined ? undefined : op.timeoutS * 1000,
          kernelWaitMs: ctx.settings.kernelWaitMs,
          signal: ctx.signal,
        });
      } catch (err) {
        if (err instanceof CellStartError) {
          // The detail (server URL, spec names, counts) stays as Jupyter reported it; zh gets a lead-in.
          const message = say(ctx.lang, err.message, `${ZH_LEAD[err.code]}：${err.message}`);
          throw new RequestError(err.code, message, err.retryAfterS === undefined ? { cause: err } : { cause: err, retryAfterS: err.retryAfterS });
        }
        throw err;
      }
    },
  };
  return { source, close: () => runner.close(), stats: () => runner.stats() };
}
