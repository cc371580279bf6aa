/** Request flags as the CLI defaults them, for tests that call doctor or check-headers directly. */
export const DOCTOR_FLAGS = {
  keepAlive: true,
  format: 'auto' as const,
  maxEventBytes: 1 << 20,
  connectTimeoutMs: 5000,
  headersTimeoutMs: 20_000,
  idleTimeoutMs: 20_000,
  requestTimeoutS: 30,
};
