import { format } from 'node:util';

export type ConsoleLevel = 'debug' | 'info' | 'warn';

/**
 * @jupyterlab/services logs through the global console (`console.debug('Starting WebSocket: …')`,
 * which Node writes to stdout; `Connection lost, reconnecting…` through console.warn/error) and
 * takes no logger: its 7.x API has no logging option. stdout carries only the result (docs/cli.md,
 * "stdout and stderr"), so the CLI, which owns its process, sends the console to `to` while a
 * command that uses the library runs (serve, doctor --jupyter-url), and the returned function
 * puts the console back. The library (src/jupyter) never touches the console itself.
 */
export function routeConsole(to: (level: ConsoleLevel, line: string) => void): () => void {
  const saved = { debug: console.debug, log: console.log, info: console.info, warn: console.warn, error: console.error };
  console.debug = (...args: unknown[]) => to('debug', format(...args));
  console.log = (...args: unknown[]) => to('info', format(...args));
  console.info = (...args: unknown[]) => to('info', format(...args));
  console.warn = (...args: unknown[]) => to('warn', format(...args));
  console.error = (...args: unknown[]) => to('warn', format(...args));
  return () => {
    Object.assign(console, saved);
  };
}
