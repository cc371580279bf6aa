import type { Command } from 'commander';
import { LLM_IDLE_TIMEOUT_S } from '../server/sources/llm-config.js';
import { numberIn } from './options.js';

/**
 * The `--llm-*` flags of `serve` (docs/llm.md, "Configuration"). commander hands them to the action
 * as `{ llmBaseUrl, llmApiKeyFile, llmModel, llmIdleTimeoutS }`, the shape `resolveLlmConfig`
 * takes. llm-config.ts does not load the `openai` SDK, so resolving at start-up stays cheap.
 */
export function addLlmOptions(command: Command): Command {
  return command
    .option('--llm-base-url <url>', 'OpenAI-compatible API base for chat operations (else OPENAI_BASE_URL, then OPENAI_API_BASE)')
    .option('--llm-api-key-file <file>', 'file holding the API key (else OPENAI_API_KEY; none: a keyless local upstream)')
    .option('--llm-model <name>', 'model for chat operations that name none')
    .option(
      '--llm-idle-timeout-s <s>',
      `fail a chat stream with NBS_LLM_STALLED after this long without upstream data (default ${LLM_IDLE_TIMEOUT_S.default})`,
      numberIn(LLM_IDLE_TIMEOUT_S.min, LLM_IDLE_TIMEOUT_S.max),
    );
}
