// The public API of notebook-stream, re-exported by name. The CLI is a thin shell over these.
export { ExitCode, CliError, UsageError, UnavailableError, type ErrorInit, type ErrorHint } from './model/errors.js';
// Errors and kept messages name options by field; a caller words them (docs/cli.md, "Error codes").
export { field, ft, renderFieldText, fieldsOf, byFieldName, type FieldRef, type FieldText, type FieldNamer } from './model/field-text.js';
export {
  EVENT_NAMES,
  ERROR_STATUS,
  STREAMING_HEADERS,
  PLAIN_HEADERS,
  SSE_CONTENT_TYPE,
  NDJSON_CONTENT_TYPE,
  type EventName,
  type DoneEvent,
  type DoneStats,
  type DoneStatus,
  type EventStamp,
  type ErrorBody,
  type NbsErrorCode,
} from './model/protocol.js';
export {
  FLUSH_POLICY_NAMES,
  GUIDE_BEFORE,
  GUIDE_AFTER,
  ADAPTIVE,
  flushSettings,
  customSettings,
  isFlushPolicyName,
  type FlushPolicyName,
  type FlushSettings,
  type CustomFlushOverrides,
} from './model/flush-presets.js';
export { FlushPolicy, codePointLength, type Release } from './server/flush-policy.js';
export { startServer, formatUrl, type RunningServer } from './server/serve.js';
export { buildApp, type App } from './server/app.js';
export { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './server/server-options.js';
export { RequestError } from './server/request-error.js';
export type { Payload, SourceContext, SourceDefinition } from './server/source.js';
export { packageVersion } from './version.js';
export { startUpstream, type Upstream, type UpstreamOptions, type UpstreamStats } from './upstream/server.js';
export { resolveLlmConfig, describeLlmConfig, type LlmConfig, type LlmFlags } from './server/sources/llm-config.js';
export { LoadRunner, type LoadPlan, type LoadProgress, type LoadRunResult } from './probe/load-runner.js';
export { LoadSummary } from './probe/load-summary.js';
export { arrivalSchedule, type Arrival } from './probe/arrival-schedule.js';
export { checkOpenFileLimit, hardOpenFileLimit } from './probe/open-file-limit.js';
export { mergeReports, mergeConfigurations } from './model/merge-reports.js';
