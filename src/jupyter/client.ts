import { KernelManager, KernelSpecAPI, ServerConnection } from '@jupyterlab/services';
import WebSocket from 'ws';
import { routeConsoleToJupyterLog } from './log.js';
import type { JupyterHandle } from './server.js';

/**
 * One connection to a Jupyter Server through @jupyterlab/services: the server settings (with `ws`
 * as the WebSocket implementation: Node has no usable global one for this library) and one
 * KernelManager. `dispose()` stops the manager's polling of the kernel list, without which the
 * process never exits (docs/platform-notes.md).
 */
export interface JupyterClient {
  readonly handle: JupyterHandle;
  readonly serverSettings: ServerConnection.ISettings;
  readonly kernels: KernelManager;
  /** Kernel spec names the server offers (cached for 30 s). */
  kernelSpecNames(): Promise<string[]>;
  /** Stops the manager's polling; resolves once no timer of it is left. */
  dispose(): Promise<void>;
}

export function createJupyterClient(handle: JupyterHandle): JupyterClient {
  routeConsoleToJupyterLog();
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: handle.url,
    wsUrl: handle.url.replace(/^http/, 'ws'),
    token: handle.token,
    appendToken: true,
    // ws implements the browser WebSocket API the library expects.
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  const kernels = new KernelManager({ serverSettings });
  let specs: { names: string[]; at: number } | undefined;
  return {
    handle,
    serverSettings,
    kernels,
    async kernelSpecNames() {
      if (specs !== undefined && performance.now() - specs.at < 30_000) return specs.names;
      const models = await KernelSpecAPI.getSpecs(serverSettings);
      specs = { names: Object.keys(models.kernelspecs), at: performance.now() };
      return specs.names;
    },
    async dispose() {
      // The manager polls the kernel list with a @lumino/polling Poll whose dispose() does not
      // clear its pending timer (up to 10 s, longer after errors): the process would linger that
      // long. Poll.stop() does clear it (schedules NEVER), but the manager keeps the poll private.
      const poll = (kernels as unknown as { _pollModels?: { stop?: () => Promise<void>; isDisposed?: boolean } })._pollModels;
      if (poll?.stop !== undefined && poll.isDisposed !== true) {
        await poll.stop().catch(() => undefined);
      }
      kernels.dispose();
    },
  };
}
