import { UnavailableError } from '../model/errors.js';
import { byFieldName, field, ft, type FieldNamer } from '../model/field-text.js';
import type { JupyterHandle } from '../jupyter/server.js';
import type { JupyterTuning } from '../jupyter/tuning.js';

/** serve's Jupyter settings (docs/jupyter.md). */
export interface JupyterSettings {
  /** `lazy`: start the managed server on the first execute; `eager`: at start-up (exit 3 if it cannot); `off`. */
  mode: 'lazy' | 'eager' | 'off';
  /** An existing Jupyter Server instead of a managed one. */
  url?: string;
  /** Its token (else JUPYTER_TOKEN). */
  token?: string;
  /** `fixed` (default) ships the TCP_NODELAY and flush-interval fixes; `stock` reproduces the delays. */
  tuning: JupyterTuning;
  /** Live kernels at most; past it 503 NBS_TOO_MANY_KERNELS. */
  maxKernels: number;
  /** serve's environment, of which the managed server gets only the documented part (docs/jupyter.md, "Secrets"). */
  env?: NodeJS.ProcessEnv;
  /** Variable names (or `PREFIX*`) passed through as well (`--jupyter-env`). */
  passEnv?: readonly string[];
}

export const DEFAULT_JUPYTER_SETTINGS: JupyterSettings = { mode: 'lazy', tuning: 'fixed', maxKernels: 8 };

/**
 * Owns the Jupyter Server of one `serve`: started (or connected) once, on demand or at start-up,
 * started again when a managed server died, stopped with its kernels on shutdown. The Jupyter
 * modules load only when execute is first used, so serve without kernels never loads the SDK.
 */
export class JupyterController {
  readonly settings: JupyterSettings;
  private handle: JupyterHandle | undefined;
  private pending: Promise<JupyterHandle> | undefined;
  private stopped = false;

  constructor(
    settings: JupyterSettings,
    private readonly names: FieldNamer = byFieldName,
  ) {
    this.settings = settings;
  }

  readonly get = (): Promise<JupyterHandle> => {
    if (this.settings.mode === 'off') return Promise.reject(new Error(`Jupyter is turned off (serve ${this.names(field('jupyter'))} off)`));
    if (this.stopped) return Promise.reject(new Error('the server is shutting down'));
    if (this.handle !== undefined && !this.handle.alive()) {
      // The managed server died: the next execute starts a new one.
      this.handle = undefined;
      this.pending = undefined;
    }
    this.pending ??= this.open().then(
      (h) => (this.handle = h),
      (err: unknown) => {
        this.pending = undefined;
        throw err;
      },
    );
    return this.pending;
  };

  /** `--jupyter eager`: a server that cannot start is a start-up failure (exit 3). */
  async startEager(): Promise<void> {
    if (this.settings.mode !== 'eager') return;
    try {
      await this.get();
    } catch (err) {
      throw new UnavailableError(ft`${field('jupyter')} eager: no usable Jupyter Server: ${(err as Error).message}`, { code: 'NBS_UNAVAILABLE', cause: err });
    }
  }

  describe(): string {
    if (this.settings.mode === 'off') return 'off';
    const where = this.settings.url !== undefined ? `existing server ${this.settings.url}` : 'managed server';
    const state = this.handle?.alive() === true ? 'running' : 'not started';
    return `${this.settings.mode}, ${where} (${state}), tuning ${this.settings.tuning}, max ${this.settings.maxKernels} kernels`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const pending = this.pending;
    this.pending = undefined;
    const handle = this.handle ?? (await pending?.catch(() => undefined));
    this.handle = undefined;
    await handle?.stop();
  }

  private async open(): Promise<JupyterHandle> {
    const m = await import('../jupyter/server.js');
    const { url, token, tuning } = this.settings;
    if (url !== undefined) {
      const t = token ?? process.env['JUPYTER_TOKEN'];
      return m.connectJupyter({ url, tuning, names: this.names, ...(t === undefined ? {} : { token: t }) });
    }
    return m.startJupyter({
      tuning,
      names: this.names,
      ...(this.settings.env === undefined ? {} : { env: this.settings.env }),
      ...(this.settings.passEnv === undefined ? {} : { passEnv: this.settings.passEnv }),
    });
  }
}
