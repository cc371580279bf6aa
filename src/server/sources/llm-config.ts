import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { UsageError } from '../../model/errors.js';
import { byFieldName, field, ft, type FieldNamer } from '../../model/field-text.js';

/**
 * Configuration of the `chat` source, resolved once by `serve` from its flags and the environment
 * (docs/llm.md, "Configuration"). Kept apart from chat.ts so that the CLI can resolve and check it
 * without loading the `openai` SDK.
 *
 * Base URL precedence: `--llm-base-url`, then `OPENAI_BASE_URL` (the SDK's name), then
 * `OPENAI_API_BASE` (the guide's name). Key: `--llm-api-key-file`, then `OPENAI_API_KEY`; without
 * one, a keyless local upstream works (the SDK gets a placeholder key). With a key and no base URL
 * the SDK's default, https://api.openai.com/v1, is used. With neither, a chat request is refused
 * with NBS_LLM_NOT_CONFIGURED.
 */

/** A string that never prints: `String()`, JSON and `util.inspect` all give `[redacted]`. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Sent to keyless local upstreams (the SDK refuses to run without some key). */
export const PLACEHOLDER_API_KEY = 'notebook-stream-no-key';
export const LLM_IDLE_TIMEOUT_S = { min: 0.1, max: 3600, default: 60 } as const;

export interface LlmConfig {
  /** The API base (`…/v1`), or undefined: not configured. */
  baseURL: string | undefined;
  /** Where baseURL came from, for logs and /healthz. */
  baseURLSource: 'llmBaseUrl' | 'OPENAI_BASE_URL' | 'OPENAI_API_BASE' | 'default' | undefined;
  /** undefined: keyless (the placeholder key is sent). */
  apiKey: Secret | undefined;
  apiKeySource: 'llmApiKeyFile' | 'OPENAI_API_KEY' | undefined;
  /** Model used when the operation names none. */
  model: string | undefined;
  /** A stream with no data from the upstream for this long fails with NBS_LLM_STALLED. */
  idleTimeoutS: number;
}

/** serve's LLM flags, as commander parses them (camelCase of `--llm-…`). */
export interface LlmFlags {
  llmBaseUrl?: string | undefined;
  llmApiKeyFile?: string | undefined;
  llmModel?: string | undefined;
  llmIdleTimeoutS?: number | undefined;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function checkUrl(value: string, source: NonNullable<LlmConfig['baseURLSource']>): string {
  const name = source === 'llmBaseUrl' ? [field('llmBaseUrl')] : [source];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(ft`${name} is not a URL (expected e.g. http://127.0.0.1:18700/v1)`, { code: 'NBS_USAGE_BAD_VALUE' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(ft`${name} must be an http:// or https:// URL`, { code: 'NBS_USAGE_BAD_VALUE' });
  }
  return value.replace(/\/+$/, '');
}

/**
 * Resolves the configuration. Throws UsageError (exit 2) naming the flag or variable at fault:
 * an unreadable or empty key file, a base URL that is not http(s), a bad idle timeout.
 */
export function resolveLlmConfig(flags: LlmFlags, env: NodeJS.ProcessEnv): LlmConfig {
  let baseURL: string | undefined;
  let baseURLSource: LlmConfig['baseURLSource'];
  const candidates: Array<[NonNullable<LlmConfig['baseURLSource']>, string | undefined]> = [
    ['llmBaseUrl', nonEmpty(flags.llmBaseUrl)],
    ['OPENAI_BASE_URL', nonEmpty(env['OPENAI_BASE_URL'])],
    ['OPENAI_API_BASE', nonEmpty(env['OPENAI_API_BASE'])],
  ];
  for (const [source, value] of candidates) {
    if (value !== undefined) {
      baseURL = checkUrl(value, source);
      baseURLSource = source;
      break;
    }
  }

  let apiKey: Secret | undefined;
  let apiKeySource: LlmConfig['apiKeySource'];
  if (flags.llmApiKeyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.llmApiKeyFile, 'utf8');
    } catch (err) {
      throw new UsageError(ft`${field('llmApiKeyFile')}: cannot read ${flags.llmApiKeyFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { code: 'NBS_USAGE_FILE' });
    }
    const key = text.trim();
    if (key === '' || /\s/.test(key)) {
      throw new UsageError(ft`${field('llmApiKeyFile')}: ${flags.llmApiKeyFile} must hold one key on one line`, { code: 'NBS_USAGE_FILE' });
    }
    apiKey = new Secret(key);
    apiKeySource = 'llmApiKeyFile';
  } else {
    const key = nonEmpty(env['OPENAI_API_KEY']);
    if (key !== undefined) {
      apiKey = new Secret(key);
      apiKeySource = 'OPENAI_API_KEY';
    }
  }
  if (baseURL === undefined && apiKey !== undefined) {
    baseURL = OPENAI_DEFAULT_BASE_URL;
    baseURLSource = 'default';
  }

  const idle = flags.llmIdleTimeoutS ?? LLM_IDLE_TIMEOUT_S.default;
  if (!Number.isFinite(idle) || idle < LLM_IDLE_TIMEOUT_S.min || idle > LLM_IDLE_TIMEOUT_S.max) {
    throw new UsageError(ft`${field('llmIdleTimeoutS')} must be a number from ${LLM_IDLE_TIMEOUT_S.min} to ${LLM_IDLE_TIMEOUT_S.max}`, { code: 'NBS_USAGE_BAD_VALUE' });
  }
  const model = nonEmpty(flags.llmModel);
  return { baseURL, baseURLSource, apiKey, apiKeySource, model, idleTimeoutS: idle };
}

/** The base URL without user info, query or fragment: safe for logs and messages. */
export function safeBaseURL(baseURL: string): string {
  try {
    const url = new URL(baseURL);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.toString().replace(/\/+$/, '');
  } catch {
    return '(invalid URL)';
  }
}

/** One line for serve's start-up log and /healthz; never carries the key. */
export function describeLlmConfig(config: LlmConfig, names: FieldNamer = byFieldName): string {
  // A source is an option's field, an environment variable's name or `default`.
  const source = (s: string | undefined) => (s === undefined ? '?' : s === 'llmBaseUrl' || s === 'llmApiKeyFile' ? names(field(s)) : s);
  if (config.baseURL === undefined) return `chat: not configured (${names(field('llmBaseUrl'))}, OPENAI_BASE_URL or OPENAI_API_BASE)`;
  const key = config.apiKey === undefined ? 'no key (placeholder sent)' : `key from ${source(config.apiKeySource)}`;
  const model = config.model === undefined ? 'model from each request' : `model ${config.model}`;
  return `chat: ${safeBaseURL(config.baseURL)} (from ${source(config.baseURLSource)}), ${key}, ${model}, idle timeout ${config.idleTimeoutS} s`;
}
