import type { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import type { OpenAiOptions } from '../probe/openai-request.js';
import { intIn } from './options.js';

/** The `--openai` flags of `bench` as commander hands them over. */
export interface OpenAiFlags {
  openai?: string;
  model?: string;
  prompt?: string;
  promptFile?: string;
  maxTokens?: number;
  openaiKeyFile?: string;
}

/** Adds `bench --openai BASE_URL [--model M] [--prompt T | --prompt-file F] [--max-tokens N]`. */
export function addOpenAiOptions(command: Command): Command {
  return command
    .option('--openai <base-url>', 'send streaming chat completions to BASE-URL/chat/completions (e.g. http://127.0.0.1:18700/v1)')
    .option('--model <name>', 'with --openai: the model (default: the first of GET BASE-URL/models)')
    .option('--prompt <text>', 'with --openai: the user message')
    .option('--prompt-file <file>', 'with --openai: the user message from a file')
    .option('--max-tokens <n>', 'with --openai: max_tokens to ask for', intIn(1, 10_000_000))
    .option('--openai-key-file <file>', 'with --openai: file holding the API key (else OPENAI_API_KEY; none: no Authorization)');
}

/**
 * The `--openai` options, or undefined without `--openai`. A URL argument beside `--openai`, or an
 * `--openai`-only flag without it, is a usage error naming the flag.
 */
export function openAiOptionsFrom(url: string | undefined, f: OpenAiFlags): OpenAiOptions | undefined {
  if (f.openai === undefined) {
    const stray = (
      [
        ['--model', f.model],
        ['--prompt', f.prompt],
        ['--prompt-file', f.promptFile],
        ['--max-tokens', f.maxTokens],
        ['--openai-key-file', f.openaiKeyFile],
      ] as const
    ).find(([, v]) => v !== undefined);
    if (stray !== undefined) throw new UsageError(`${stray[0]}: only with --openai BASE_URL`);
    return undefined;
  }
  if (url !== undefined) throw new UsageError(`--openai: give the API base there and no URL argument (got '${url}' too)`);
  return {
    baseUrl: f.openai,
    ...(f.model !== undefined ? { model: f.model } : {}),
    ...(f.prompt !== undefined ? { prompt: f.prompt } : {}),
    ...(f.promptFile !== undefined ? { promptFile: f.promptFile } : {}),
    ...(f.maxTokens !== undefined ? { maxTokens: f.maxTokens } : {}),
    ...(f.openaiKeyFile !== undefined ? { keyFile: f.openaiKeyFile } : {}),
    ...(process.env['OPENAI_API_KEY'] !== undefined ? { envKey: process.env['OPENAI_API_KEY'] } : {}),
  };
}
