import type { RequestFlags } from '../../src/probe/build-request-spec.js';
import { TEST_FLAGS } from './bench-spec.js';

/**
 * Request flags for tests that call doctor or check-headers directly: the test defaults with
 * longer timeouts than bench's tests use (a doctor run makes several passes, through proxies).
 */
export const DOCTOR_FLAGS: RequestFlags = {
  ...TEST_FLAGS,
  connectTimeoutMs: 5000,
  headersTimeoutMs: 20_000,
  idleTimeoutMs: 20_000,
  requestTimeoutS: 30,
};
