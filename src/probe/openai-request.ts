import { readFile } from 'node:fs/promises';
import { Agent, request } from 'undici';
import { UnavailableError, UsageError } from '../model/errors.js';
import { field, ft } from '../model/field-text.js';
import { buildRequestSpec, type RequestFlags } from './build-request-spec.js';
import { errorKind } from './error-kind.js';
import type { RequestSpec } from './request-spec.js';

/** `bench --openai BASE_URL …`: what the request is built from (docs/bench.md, "LLM endpoints"). */
export interface OpenAiOptions {
  /** The API base (`http://127.0.0.1:18700/v1`); `/chat/completions` is appended. */
  baseUrl: string;
  /** The model; when absent, the first one `GET BASE_URL/models` lists (as vLLM's benchmark does). */
  model?: string;
  prompt?: string;
  promptFile?: string;
  /** Sent as `max_tokens` when given (the name vLLM, TGI, llama.cpp and Ollama all accept). */
  maxTokens?: number;
  /** File holding the API key; else `OPENAI_API_KEY`; else no Authorization header. */
  keyFile?: string;
}

export const DEFAULT_PROMPT = 'Explain in three short paragraphs why a proxy should not buffer a streaming HTTP response.';

/** The chat-completions URL of an API base; a base that already ends in it is taken as is. */
export function chatCompletionsUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(ft`${field('baseUrl')}: '${baseUrl}' is not an absolute URL (e.g. http://127.0.0.1:18700/v1)`, { code: 'NBS_USAGE_BAD_VALUE' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(ft`${field('baseUrl')}: only http: and https: are supported, got '${url.protocol}'`, { code: 'NBS_USAGE_BAD_VALUE' });
  }
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/chat/completions')) url.pathname = `${path}/chat/completions`;
  return url;
}

/**
 * The API key: the file's first line (`--openai-key-file`), else `OPENAI_API_KEY`, else null (a
 * keyless local server). The key goes into the Authorization header only: never into a message.
 */
export async function readOpenAiKey(keyFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (keyFile !== undefined) {
    let text: string;
    try {
      text = await readFile(keyFile, 'utf8');
    } catch (err) {
      throw new UsageError(ft`${field('keyFile')}: cannot read '${keyFile}': ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { code: 'NBS_USAGE_FILE' });
    }
    const key = (text.split(/\r?\n/)[0] ?? '').trim();
    if (key === '') throw new UsageError(ft`${field('keyFile')}: '${keyFile}' is empty`, { code: 'NBS_USAGE_FILE' });
    return key;
  }
  const key = env['OPENAI_API_KEY']?.trim();
  return key === undefined || key === '' ? null : key;
}

async function readPrompt(o: OpenAiOptions): Promise<string> {
  if (o.prompt !== undefined && o.promptFile !== undefined) throw new UsageError(ft`${field('prompt')} and ${field('promptFile')}: give one of them, not both`, { code: 'NBS_USAGE_CONFLICT' });
  let prompt = o.prompt ?? DEFAULT_PROMPT;
  if (o.promptFile !== undefined) {
    try {
      prompt = await readFile(o.promptFile, 'utf8');
    } catch (err) {
      throw new UsageError(ft`${field('promptFile')}: cannot read '${o.promptFile}': ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { code: 'NBS_USAGE_FILE' });
    }
  }
  if (prompt.trim() === '') throw new UsageError(o.promptFile !== undefined ? ft`${field('promptFile')}: '${o.promptFile}' is empty` : ft`${field('prompt')}: empty`, { code: 'NBS_USAGE_BAD_VALUE' });
  return prompt;
}

/** The streaming chat-completions body: one user message, usage asked for in the last chunk. */
export function chatRequestBody(model: string, prompt: string, maxTokens: number | undefined): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: prompt }],
    stream: true,
    stream_options: { include_usage: true },
    ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
  });
}

/**
 * The first model `GET {base}/models` lists. Unreachable: exit 3; any other answer: exit 2 naming
 * --model. Messages carry the status only: a 401 body may echo the key.
 */
async function firstModel(chatUrl: URL, spec: RequestSpec): Promise<string> {
  const modelsUrl = new URL(chatUrl.href.replace(/\/chat\/completions$/, '/models'));
  const dispatcher = new Agent({
    connect: { rejectUnauthorized: !spec.insecure, ...(spec.ca !== null ? { ca: spec.ca } : {}) },
    headersTimeout: spec.headersTimeoutMs,
    bodyTimeout: spec.idleTimeoutMs,
  });
  const headers: Record<string, string> = { accept: 'application/json' };
  if (spec.headers['authorization'] !== undefined) headers['authorization'] = spec.headers['authorization'];
  try {
    let res;
    try {
      res = await request(modelsUrl, { method: 'GET', headers, dispatcher, signal: AbortSignal.timeout(spec.connectTimeoutMs + spec.headersTimeoutMs) });
    } catch (err) {
      throw new UnavailableError(ft`${field('baseUrl')}: cannot reach ${modelsUrl.href} to find a model (${errorKind(err)})`, {
        code: 'NBS_UNAVAILABLE',
        hint: { code: 'NBS_HINT_MODEL', text: ft`or name one with ${field('model')}` },
      });
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new UsageError(ft`${field('model')}: none given, and GET ${modelsUrl.href} answered HTTP ${res.statusCode}`, { code: 'NBS_USAGE_REQUIRES' });
    let id: unknown;
    try {
      id = (JSON.parse(text) as { data?: Array<{ id?: unknown }> }).data?.[0]?.id;
    } catch {
      id = undefined;
    }
    if (typeof id !== 'string' || id === '') throw new UsageError(ft`${field('model')}: none given, and GET ${modelsUrl.href} lists no model`, { code: 'NBS_USAGE_REQUIRES' });
    return id;
  } finally {
    await dispatcher.close().catch(() => {});
  }
}

/**
 * The request spec of `bench --openai`: POST BASE_URL/chat/completions with a streaming body,
 * `Authorization: Bearer KEY` when there is a key (a `-H Authorization` given by hand wins), and
 * every other bench flag as for any URL. Resolves to the spec and the model it asks for.
 */
export async function buildOpenAiSpec(o: OpenAiOptions, flags: RequestFlags): Promise<{ spec: RequestSpec; model: string }> {
  if (flags.body !== undefined || flags.bodyFile !== undefined) {
    throw new UsageError(ft`${field('baseUrl')} builds the request body itself: drop ${field('body')}/${field('bodyFile')} (or drop ${field('baseUrl')} and send your own)`, {
      code: 'NBS_USAGE_CONFLICT',
    });
  }
  if (flags.method !== undefined && flags.method.toUpperCase() !== 'POST') throw new UsageError(ft`${field('method', 'short')} ${flags.method}: ${field('baseUrl')} sends POST`, { code: 'NBS_USAGE_CONFLICT' });
  const url = chatCompletionsUrl(o.baseUrl);
  const prompt = await readPrompt(o);
  const key = await readOpenAiKey(o.keyFile);
  // Build once with a placeholder body to validate the flags and collect the headers.
  const spec = await buildRequestSpec(url.href, { ...flags, body: '{}' });
  if (key !== null && spec.headers['authorization'] === undefined) spec.headers['authorization'] = `Bearer ${key}`;
  const model = o.model ?? (await firstModel(url, spec));
  spec.body = chatRequestBody(model, prompt, o.maxTokens);
  return { spec, model };
}
