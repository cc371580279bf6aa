import type { Environment } from '../model/environment.js';
import { startCliChild, type CliChild } from './cli-child.js';

/** The replay upstream in its own process; `url` is the API base, `http://127.0.0.1:PORT/v1`. */
export type UpstreamChild = CliChild;

/** `notebook-stream upstream --port 0 --quiet`, for `compare --source chat` with no `--llm-base-url`. */
export function startUpstreamChild(env: Environment, timeoutMs = 20_000): Promise<UpstreamChild> {
  return startCliChild(['upstream', '--port', '0', '--quiet'], 'replay upstream', env, timeoutMs);
}
