import { NO_COLORS, tableStyle, type Colors } from './chalk.js';
import Table from 'cli-table3';
import type { DefinitionFigure, DefinitionsView } from '../model/report.js';

const STATS = ['p50', 'p90', 'p99', 'mean', 'min', 'max'] as const;

const LABEL: Record<DefinitionsView['tool'], string> = {
  vllm: 'vLLM (vllm bench serve)',
  'genai-perf': 'genai-perf',
  llmperf: 'llmperf',
  guidellm: 'GuideLLM',
  otel: 'OpenTelemetry GenAI client metrics',
};

/** A figure's stat in the tool's unit: stats are ms (times) or counts; `s` divides by 1000. */
export function figureValue(f: DefinitionFigure, v: number | null): number | null {
  if (v === null) return null;
  return f.unit === 's' ? v / 1000 : v;
}

function cell(f: DefinitionFigure, v: number | null, chalk: Colors): string {
  const x = figureValue(f, v);
  if (x === null) return chalk.dim('–');
  if (f.unit === 'tokens') return Number.isInteger(x) ? String(x) : x.toFixed(2);
  return f.unit === 's' ? x.toFixed(4) : x.toFixed(2);
}

/** `bench --definitions TOOL`: the same run's LLM streams under that tool's names, units and formulas. */
export function renderDefinitions(view: DefinitionsView, chalk: Colors = NO_COLORS): string {
  const table = new Table({
    head: [`${view.tool} name`, 'unit', ...STATS, 'count', 'formula'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: tableStyle(chalk),
    colAligns: ['left', 'left', ...STATS.map(() => 'right' as const), 'right', 'left'],
  });
  for (const f of view.figures) table.push([f.name, f.unit, ...STATS.map((s) => cell(f, f.stats[s], chalk)), String(f.stats.count), f.formula]);
  return [
    chalk.bold(`${LABEL[view.tool]}: the same streams under its names and formulas`) + chalk.dim(`  (formulas from ${view.source})`),
    table.toString(),
    chalk.dim(
      'T: events with visible text; H: events with a non-empty choices array or content; O: every event but [DONE]/done and errors; ' +
        'E: end of the response; N: output tokens (usage, else content events), not a tokenizer count; times from the intended start',
    ),
  ].join('\n');
}
