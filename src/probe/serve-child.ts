import type { Environment } from '../model/environment.js';
import { startCliChild, type CliChild } from './cli-child.js';

/** The embedded server, running in its own process (never in the measuring event loop). */
export type ServeChild = CliChild;

function withoutToken(env: Environment): Environment {
  const { NOTEBOOK_STREAM_TOKEN: _token, ...rest } = env;
  return rest;
}

/**
 * Starts `notebook-stream serve --port 0 --flush-policy POLICY [EXTRA…]` and waits for its URL.
 * `compare` passes `--allow-policy-override` as an extra flag. Our own server, our own request:
 * a token in the caller's environment would only get 401s, so the child does not inherit it.
 */
export function startServeChild(flushPolicy: string, env: Environment, timeoutMs = 20_000, extraArgs: readonly string[] = []): Promise<ServeChild> {
  return startCliChild(['serve', '--port', '0', '--flush-policy', flushPolicy, ...extraArgs], 'embedded server', withoutToken(env), timeoutMs);
}
