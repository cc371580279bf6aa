import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  AuthenticationError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  type ClientOptions,
} from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import type { NbsErrorCode } from '../../model/protocol.js';
import { byFieldName, field, type FieldNamer } from '../../model/field-text.js';
import { RequestError, say, type Lang, invalidBody as invalid } from '../request-error.js';
import type { Payload, SourceContext, SourceDefinition } from '../source.js';
import { PLACEHOLDER_API_KEY, safeBaseURL, type LlmConfig } from './llm-config.js';

export { resolveLlmConfig, describeLlmConfig, type LlmConfig, type LlmFlags } from './llm-config.js';

/**
 * `chat`: an LLM answer streamed from any OpenAI-compatible endpoint through the official `openai`
 * SDK (this file is its only importer). Each content delta becomes a `chunk` payload as it arrives;
 * the stream ends with a `result` carrying `usage` and `finish_reason` (docs/llm.md).
 *
 * - One undici Agent per source, handed to the SDK through its `fetch` option (undici's fetch with
 *   the agent as dispatcher): sequential requests reuse one keep-alive connection, the guide's
 *   "pool the OpenAI connections".
 * - `maxRetries: 0`: a retry would hide the very first-token delay we measure. SDK logging off.
 * - `open()` waits for the first content delta, so that a failure before it (401, 404 model, 429,
 *   5xx, unreachable, stalled) is answered as a 4xx/5xx with its NBS_LLM_… code instead of a
 *   stream; after it, a failure is an `error` payload and the iterable ends.
 * - The upstream request is aborted when `ctx.signal` aborts (client gone, shutdown, timeout).
 * - The API key never appears in a message: upstream texts are scrubbed (some echo the key).
 */

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
}

export interface ChatOptions {
  messages: ChatMessage[];
  model: string;
  maxTokens: number | undefined;
}

/** Documented limits (docs/llm.md). */
export const CHAT_LIMITS = {
  messages: { min: 1, max: 1000 },
  contentChars: 1_000_000,
  modelChars: 256,
  max_tokens: { min: 1, max: 1_000_000 },
} as const;

const ROLES: readonly string[] = ['system', 'developer', 'user', 'assistant'];

export interface ChatSource extends SourceDefinition<ChatOptions> {
  /** Closes the connection pool (cuts requests in flight). For server shutdown and tests. */
  close(): Promise<void>;
}

function validateChat(op: Record<string, unknown>, lang: Lang, defaultModel: string | undefined, names: FieldNamer): ChatOptions {
  const messages = op['messages'];
  if (!Array.isArray(messages) || messages.length < CHAT_LIMITS.messages.min || messages.length > CHAT_LIMITS.messages.max) {
    throw invalid(
      lang,
      `operation.messages must be an array of 1 to ${CHAT_LIMITS.messages.max} messages {"role", "content"}`,
      `operation.messages 必须是包含 1 到 ${CHAT_LIMITS.messages.max} 条消息 {"role", "content"} 的数组`,
    );
  }
  let chars = 0;
  const out: ChatMessage[] = [];
  for (const [i, m] of messages.entries()) {
    const msg = m as Record<string, unknown> | null;
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg) || typeof msg['role'] !== 'string' || !ROLES.includes(msg['role'])) {
      throw invalid(
        lang,
        `operation.messages[${i}].role must be one of ${ROLES.join(', ')}`,
        `operation.messages[${i}].role 必须是 ${ROLES.join('、')} 之一`,
      );
    }
    if (typeof msg['content'] !== 'string') {
      throw invalid(lang, `operation.messages[${i}].content must be a string`, `operation.messages[${i}].content 必须是字符串`);
    }
    chars += msg['content'].length;
    out.push({ role: msg['role'] as ChatMessage['role'], content: msg['content'] });
  }
  if (chars > CHAT_LIMITS.contentChars) {
    throw invalid(
      lang,
      `operation.messages hold more than ${CHAT_LIMITS.contentChars} characters of content`,
      `operation.messages 的内容超过 ${CHAT_LIMITS.contentChars} 个字符`,
    );
  }
  const model = op['model'] ?? defaultModel;
  if (typeof model !== 'string' || model === '' || model.length > CHAT_LIMITS.modelChars) {
    throw invalid(
      lang,
      op['model'] === undefined
        ? `operation.model is required (the server has no ${names(field('llmModel'))})`
        : `operation.model must be a string of 1 to ${CHAT_LIMITS.modelChars} characters`,
      op['model'] === undefined
        ? `operation.model 为必填项（服务器未设置 ${names(field('llmModel'))}）`
        : `operation.model 必须是 1 到 ${CHAT_LIMITS.modelChars} 个字符的字符串`,
    );
  }
  const maxTokens = op['max_tokens'];
  if (
    maxTokens !== undefined &&
    (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < CHAT_LIMITS.max_tokens.min || maxTokens > CHAT_LIMITS.max_tokens.max)
  ) {
    throw invalid(
      lang,
      `operation.max_tokens must be a whole number from 1 to ${CHAT_LIMITS.max_tokens.max}`,
      `operation.max_tokens 必须是 1 到 ${CHAT_LIMITS.max_tokens.max} 之间的整数`,
    );
  }
  return { messages: out, model, maxTokens: maxTokens as number | undefined };
}

/** A classified upstream failure (RequestError before the first delta, error payload after). */
interface LlmFailure {
  code: NbsErrorCode;
  message: string;
  retryAfterS?: number;
}

class LlmFailureError extends Error {
  constructor(readonly failure: LlmFailure) {
    super(failure.message);
  }
}

/** `retry-after` (seconds or an HTTP date, RFC 9110 §10.2.3) or `retry-after-ms`, in whole seconds. */
function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const value = headers?.get('retry-after');
  if (value === null || value === undefined) return undefined;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return Math.ceil(s);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function errorCodeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(UND_ERR_|E[A-Z]+)/.test(code)) return code;
  }
  return undefined;
}

/** Shortest run of the key that counts as the key (issue 25 item 7). */
export const KEY_RUN_MIN = 8;

/**
 * Replaces every run of `min` or more characters of `key` found in `text`, compared without case:
 * upstreams echo keys altered (case changed, first characters dropped, truncated), so the whole key
 * is not the only thing to look for. O(|text| × |key|) on short error texts.
 */
export function scrubKeyRuns(text: string, key: string, min = KEY_RUN_MIN): string {
  if (key.length < min || text.length < min) return text;
  const t = text.toLowerCase();
  const k = key.toLowerCase();
  const hide = new Uint8Array(text.length);
  let any = false;
  for (let i = 0; i + min <= t.length; i++) {
    for (let j = 0; j + min <= k.length; j++) {
      let n = 0;
      while (i + n < t.length && j + n < k.length && t.charCodeAt(i + n) === k.charCodeAt(j + n)) n++;
      if (n >= min) {
        hide.fill(1, i, i + n);
        any = true;
      }
    }
  }
  if (!any) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (hide[i] === 1) {
      if (i === 0 || hide[i - 1] !== 1) out += '[redacted]';
    } else {
      out += text[i];
    }
  }
  return out;
}

export function createChatSource(config: LlmConfig, names: FieldNamer = byFieldName): ChatSource {
  let agent: Agent | undefined;
  let client: OpenAI | undefined;
  const idleMs = Math.round(config.idleTimeoutS * 1000);
  const key = config.apiKey?.reveal();

  /** Removes the key (and anything shaped like an OpenAI key) from upstream text; bounds its length. */
  const scrub = (text: string): string => {
    let out = key !== undefined && key.length > 0 ? scrubKeyRuns(text, key) : text;
    out = out.replace(/\bsk-[A-Za-z0-9_*.-]{6,}/g, 'sk-[redacted]').replace(/Bearer\s+\S+/gi, 'Bearer [redacted]');
    return out.length > 300 ? `${out.slice(0, 300)}…` : out;
  };

  const getClient = (): OpenAI => {
    if (client !== undefined) return client;
    agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      // Backstops only: our idle timer (NBS_LLM_STALLED) fires first.
      headersTimeout: idleMs + 5_000,
      bodyTimeout: idleMs + 5_000,
    });
    const dispatcher = agent;
    const pooledFetch = ((input: string | URL | Request, init?: RequestInit) =>
      undiciFetch(input as Parameters<typeof undiciFetch>[0], {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher,
      })) as unknown as NonNullable<ClientOptions['fetch']>;
    client = new OpenAI({
      apiKey: key ?? PLACEHOLDER_API_KEY,
      baseURL: config.baseURL ?? null,
      organization: null,
      project: null,
      fetch: pooledFetch,
      maxRetries: 0,
      timeout: idleMs + 10_000,
      logLevel: 'off',
      logger: { error() {}, warn() {}, info() {}, debug() {} },
    });
    return client;
  };

  const classify = (err: unknown, stalled: boolean, op: ChatOptions, lang: Lang): LlmFailure => {
    const base = safeBaseURL(config.baseURL ?? '');
    const code = errorCodeOf(err);
    if (stalled || err instanceof APIConnectionTimeoutError || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
      return {
        code: 'NBS_LLM_STALLED',
        message: say(
          lang,
          `no data from the LLM upstream for ${config.idleTimeoutS} s (${names(field('llmIdleTimeoutS'))})`,
          `LLM 上游 ${config.idleTimeoutS} 秒没有数据（${names(field('llmIdleTimeoutS'))}）`,
        ),
      };
    }
    const upstreamText = err instanceof Error ? scrub(err.message) : scrub(String(err));
    if (err instanceof AuthenticationError || err instanceof PermissionDeniedError) {
      return {
        code: 'NBS_LLM_AUTH',
        message: say(
          lang,
          `the LLM upstream refused the API key (HTTP ${err.status}; check ${names(field('llmApiKeyFile'))} or OPENAI_API_KEY): ${upstreamText}`,
          `LLM 上游拒绝了 API 密钥（HTTP ${err.status}；请检查 ${names(field('llmApiKeyFile'))} 或 OPENAI_API_KEY）：${upstreamText}`,
        ),
      };
    }
    if (err instanceof NotFoundError) {
      return {
        code: 'NBS_LLM_MODEL_NOT_FOUND',
        message: say(
          lang,
          `the LLM upstream at ${base} has no model "${op.model}" (HTTP 404; or the base URL lacks its /v1): ${upstreamText}`,
          `${base} 上的 LLM 上游没有模型 "${op.model}"（HTTP 404；或基础 URL 缺少 /v1）：${upstreamText}`,
        ),
      };
    }
    if (err instanceof RateLimitError) {
      const retryAfterS = retryAfterSeconds(err.headers);
      return {
        code: 'NBS_LLM_RATE_LIMITED',
        message: say(
          lang,
          `the LLM upstream is rate limiting (HTTP 429${retryAfterS === undefined ? '' : `, retry after ${retryAfterS} s`}): ${upstreamText}`,
          `LLM 上游限流（HTTP 429${retryAfterS === undefined ? '' : `，${retryAfterS} 秒后重试`}）：${upstreamText}`,
        ),
        ...(retryAfterS === undefined ? {} : { retryAfterS }),
      };
    }
    if (err instanceof APIConnectionError) {
      const why = code ?? (err.cause instanceof Error ? scrub(err.cause.message) : upstreamText);
      const unreachable = code !== undefined && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT)$/.test(code);
      return {
        code: 'NBS_LLM_UPSTREAM',
        message: unreachable
          ? say(lang, `cannot reach the LLM upstream at ${base} (${why})`, `无法连接 ${base} 上的 LLM 上游（${why}）`)
          : say(
              lang,
              `the LLM upstream at ${base} closed the connection before answering (${why})`,
              `${base} 上的 LLM 上游在应答前关闭了连接（${why}）`,
            ),
      };
    }
    if (err instanceof APIError) {
      const status = err.status === undefined ? say(lang, 'in the stream', '流中') : `HTTP ${err.status}`;
      return {
        code: 'NBS_LLM_UPSTREAM',
        message: say(lang, `the LLM upstream failed (${status}): ${upstreamText}`, `LLM 上游出错（${status}）：${upstreamText}`),
      };
    }
    const why = code ?? upstreamText;
    return {
      code: 'NBS_LLM_UPSTREAM',
      message: say(
        lang,
        `the LLM upstream connection broke mid-stream (${why})`,
        `LLM 上游连接在流中断开（${why}）`,
      ),
    };
  };

  /** The upstream's deltas as payloads; throws LlmFailureError; returns quietly when ctx aborts. */
  async function* deltas(
    op: ChatOptions,
    ctx: SourceContext,
    controller: AbortController,
    watch: { arm(): void; disarm(): void; stalled: boolean },
  ): AsyncGenerator<Payload> {
    const fail = (err: unknown) => new LlmFailureError(classify(err, watch.stalled, op, ctx.lang));
    watch.arm();
    let stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>;
    try {
      stream = await getClient().chat.completions.create(
        {
          model: op.model,
          messages: op.messages,
          ...(op.maxTokens === undefined ? {} : { max_tokens: op.maxTokens }),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: controller.signal },
      );
    } catch (err) {
      if (ctx.signal.aborted && !watch.stalled) return;
      throw fail(err);
    }
    let finishReason: string | null = null;
    let usage: Record<string, unknown> | undefined;
    try {
      for await (const chunk of stream) {
        watch.arm();
        if (chunk.usage !== null && chunk.usage !== undefined) usage = chunk.usage as unknown as Record<string, unknown>;
        // vLLM and others send the usage-only chunk with `choices: null`.
        const choice = chunk.choices?.[0];
        if (choice === undefined) continue;
        if (typeof choice.delta?.content === 'string' && choice.delta.content !== '') {
          // The idle clock measures the upstream only: time our consumer holds a payload (a slow
          // client, socket backpressure) is not upstream silence.
          watch.disarm();
          yield { type: 'chunk', text: choice.delta.content };
          watch.arm();
        }
        if (choice.finish_reason !== null && choice.finish_reason !== undefined) finishReason = choice.finish_reason;
      }
    } catch (err) {
      if (ctx.signal.aborted && !watch.stalled) return;
      throw fail(err);
    }
    // The SDK ends the iteration quietly when its request is aborted: tell a stall from a hang-up.
    if (watch.stalled) throw fail(new Error('stalled'));
    if (ctx.signal.aborted) return;
    yield { type: 'result', finish_reason: finishReason, ...(usage === undefined ? {} : { usage }) };
  }

  return {
    type: 'chat',
    validate(op, lang) {
      return validateChat(op, lang, config.model, names);
    },
    async open(op, ctx) {
      if (config.baseURL === undefined) {
        throw new RequestError(
          'NBS_LLM_NOT_CONFIGURED',
          say(
            ctx.lang,
            `no LLM upstream configured: start serve with ${names(field('llmBaseUrl'))} (or set OPENAI_BASE_URL, OPENAI_API_BASE or OPENAI_API_KEY)`,
            `未配置 LLM 上游：请用 ${names(field('llmBaseUrl'))} 启动 serve（或设置 OPENAI_BASE_URL、OPENAI_API_BASE 或 OPENAI_API_KEY）`,
          ),
        );
      }
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const watch = {
        stalled: false,
        arm() {
          clearTimeout(timer);
          timer = setTimeout(() => {
            watch.stalled = true;
            controller.abort();
          }, idleMs);
        },
        disarm() {
          clearTimeout(timer);
        },
      };
      const onAbort = () => controller.abort();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
        controller.abort();
      };
      if (ctx.signal.aborted) {
        cleanup();
        return (async function* () {})();
      }
      const inner = deltas(op, ctx, controller, watch);
      let first: IteratorResult<Payload>;
      try {
        first = await inner.next();
      } catch (err) {
        cleanup();
        if (err instanceof LlmFailureError) {
          const f = err.failure;
          throw new RequestError(f.code, f.message, f.retryAfterS === undefined ? {} : { retryAfterS: f.retryAfterS });
        }
        throw err;
      }
      return (async function* (): AsyncGenerator<Payload> {
        try {
          if (first.done === true) return;
          yield first.value;
          while (true) {
            let next: IteratorResult<Payload>;
            try {
              next = await inner.next();
            } catch (err) {
              if (!(err instanceof LlmFailureError)) throw err;
              yield { type: 'error', code: err.failure.code, message: err.failure.message };
              return;
            }
            if (next.done === true) return;
            yield next.value;
          }
        } finally {
          cleanup();
          await inner.return(undefined);
        }
      })();
    },
    async close() {
      const a = agent;
      agent = undefined;
      client = undefined;
      if (a !== undefined) await a.destroy();
    },
  };
}
