import { buildRequestSpec, type RequestFlags } from '../../src/probe/build-request-spec.js';
import type { RequestSpec } from '../../src/probe/request-spec.js';

/** The CLI's defaults, with short timeouts so a hostile server ends a test quickly. */
export const TEST_FLAGS: RequestFlags = {
  keepAlive: true,
  format: 'auto',
  maxEventBytes: 1 << 20,
  connectTimeoutMs: 2000,
  headersTimeoutMs: 5000,
  idleTimeoutMs: 5000,
  requestTimeoutS: 20,
};

export function specFor(url: string, flags: Partial<RequestFlags> = {}): Promise<RequestSpec> {
  return buildRequestSpec(url, { ...TEST_FLAGS, ...flags });
}
