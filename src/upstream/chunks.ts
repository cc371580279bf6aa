/**
 * The shapes of OpenAI's chat-completions API, as the replay upstream writes them. Field order and
 * presence follow the real API (and openai-node's `ChatCompletionChunk` type): every chunk of one
 * stream shares `id`, `created` and `model`; with `stream_options.include_usage` every chunk carries
 * `"usage": null` and one more chunk with `"choices": []` and the usage comes before `data: [DONE]`.
 */

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

export function usageOf(promptTokens: number, completionTokens: number, reasoningTokens = 0): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Rough prompt token count (~4 characters a token): the replay has no tokenizer. */
export function estimatePromptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let chars = 0;
  for (const m of messages) {
    const content = (m as { content?: unknown } | null)?.content;
    if (typeof content === 'string') chars += content.length;
  }
  return Math.ceil(chars / 4) + 3 * messages.length;
}

/** Writes the chunks of one stream; each method returns one SSE frame (`data: …\n\n`). */
export class ChunkWriter {
  private readonly id: string;
  private readonly created: number;
  constructor(
    private readonly model: string,
    readonly includeUsage: boolean,
    /** Running usage on every chunk (vLLM's `continuous_usage_stats`): set before each frame. */
    readonly continuousUsage = false,
  ) {
    this.id = completionId();
    this.created = Math.floor(Date.now() / 1000);
  }

  /** The running usage the next chunks carry when `continuousUsage`. */
  running: Usage | null = null;

  private frame(choices: unknown[], usage?: Usage): string {
    const chunk: Record<string, unknown> = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      service_tier: 'default',
      system_fingerprint: 'fp_nbs_replay',
      choices,
    };
    if (this.includeUsage || this.continuousUsage) chunk['usage'] = usage ?? (this.continuousUsage ? this.running : null);
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  /** The first chunk: the assistant role and empty content. */
  role(): string {
    return this.frame([
      { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
    ]);
  }

  content(text: string): string {
    return this.frame([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]);
  }

  /** A reasoning delta, as vLLM and DeepSeek send it (`delta.reasoning_content`). */
  reasoning(text: string): string {
    return this.frame([{ index: 0, delta: { reasoning_content: text }, logprobs: null, finish_reason: null }]);
  }

  /** An SSE comment: a heartbeat, ignored by clients (WHATWG HTML §9.2.6). */
  static heartbeat(): string {
    return ': keep-alive\n\n';
  }

  /** An empty delta with the finish reason. */
  finish(reason: string): string {
    return this.frame([{ index: 0, delta: {}, logprobs: null, finish_reason: reason }]);
  }

  /** The usage-only chunk (`choices: []`), sent only with `include_usage`. */
  usage(usage: Usage): string {
    return this.frame([], usage);
  }

  static done(): string {
    return 'data: [DONE]\n\n';
  }

  /** The non-streaming answer (`object: "chat.completion"`). */
  completion(text: string, finishReason: string, usage: Usage): Record<string, unknown> {
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage,
      service_tier: 'default',
      system_fingerprint: 'fp_nbs_replay',
    };
  }
}

let counter = 0;
function completionId(): string {
  counter = (counter + 1) % 1_000_000;
  return `chatcmpl-nbs${Date.now().toString(36)}${counter.toString(36).padStart(4, '0')}`;
}

/** OpenAI's error body: `{ "error": { "message", "type", "param", "code" } }`. */
export function errorBody(message: string, type: string, code: string | null, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}
