import { KernelAPI, KernelConnection, KernelSpecAPI, ServerConnection, type Kernel } from '@jupyterlab/services';
import WebSocket from 'ws';
import type { JupyterHandle } from './server.js';

/**
 * One connection to a Jupyter Server through @jupyterlab/services' public REST and connection
 * API: the server settings (with `ws` as the WebSocket implementation: Node has no usable global
 * one for this library), kernels started and shut down by KernelAPI, each connected by a
 * KernelConnection. No KernelManager: it polls the kernel list with a timer that its dispose()
 * leaves pending (up to 10 s, minutes after errors), which kept the process alive after stop
 * (docs/platform-notes.md); we need none of what the poll keeps up to date.
 */
export interface JupyterClient {
  readonly handle: JupyterHandle;
  readonly serverSettings: ServerConnection.ISettings;
  /** Starts a kernel of that spec and connects to it (no comm handling: we run cells only). */
  startKernel(name: string): Promise<Kernel.IKernelConnection>;
  /** Asks the server to shut the kernel down (the connection is the caller's to dispose). */
  shutdownKernel(id: string): Promise<void>;
  /** Kernel spec names the server offers (cached for 30 s). */
  kernelSpecNames(): Promise<string[]>;
}

export function createJupyterClient(handle: JupyterHandle): JupyterClient {
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: handle.url,
    wsUrl: handle.url.replace(/^http/, 'ws'),
    token: handle.token,
    appendToken: true,
    // ws implements the browser WebSocket API the library expects.
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  let specs: { names: string[]; at: number } | undefined;
  return {
    handle,
    serverSettings,
    async startKernel(name) {
      const model = await KernelAPI.startNew({ name }, serverSettings);
      return new KernelConnection({ model, serverSettings, handleComms: false });
    },
    shutdownKernel: (id) => KernelAPI.shutdownKernel(id, serverSettings),
    async kernelSpecNames() {
      if (specs !== undefined && performance.now() - specs.at < 30_000) return specs.names;
      const models = await KernelSpecAPI.getSpecs(serverSettings);
      specs = { names: Object.keys(models.kernelspecs), at: performance.now() };
      return specs.names;
    },
  };
}
