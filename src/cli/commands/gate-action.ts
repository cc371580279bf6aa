import { writeOutput } from '../write-output.js';
import { appendFile, readFile } from 'node:fs/promises';
import { UsageError } from '../../model/errors.js';
import { parseMaxRegression, parseThreshold, type Threshold } from '../../probe/gate-expression.js';
import { evaluateGates, type GateSpec } from '../../probe/gate.js';
import { parseGatesConfig } from '../../probe/gates-config.js';
import { gateExporter } from '../../report/exporter.js';
import { readReportFile } from '../../report/read-report.js';
import type { Report } from '../../model/report.js';
import type { GateFlags } from './gate.js';
import type { GateOutcome } from '../../model/gate-outcome.js';
import { colors } from '../color.js';


/** Appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when set (GitHub Actions job summaries). */
export async function appendStepSummary(o: GateOutcome, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const file = env['GITHUB_STEP_SUMMARY'];
  if (file === undefined || file === '') return;
  try {
    await appendFile(file, gateExporter('markdown')(o) + '\n');
  } catch (err) {
    process.stderr.write(`notebook-stream: warning: cannot append to $GITHUB_STEP_SUMMARY '${file}': ${(err as Error).message}\n`);
  }
}

/** Writes what the outcome asks for; resolves true when every gate held. */
async function emit(o: GateOutcome, flags: { json?: boolean; junit?: string; markdown?: string }, toStderr = false): Promise<boolean> {
  const text = gateExporter(flags.json === true ? 'json' : 'table', await colors())(o);
  (toStderr ? process.stderr : process.stdout).write(text);
  if (flags.junit !== undefined) await writeOutput(flags.junit, gateExporter('junit')(o), { flag: '--junit' });
  if (flags.markdown !== undefined) await writeOutput(flags.markdown, gateExporter('markdown')(o), { flag: '--markdown' });
  await appendStepSummary(o);
  return o.passed;
}

/** `notebook-stream gate REPORT …`: resolves true when every gate held. */
export async function runGateCommand(reportFile: string, flags: GateFlags): Promise<boolean> {
  const spec: GateSpec = {
    thresholds: (flags.threshold ?? []).map((t) => parseThreshold(t)),
    maxRegressions: (flags.maxRegression ?? []).map((t) => parseMaxRegression(t)),
    minDeltaMs: flags.minDeltaMs,
    ...(flags.names === undefined ? {} : { names: flags.names }),
  };
  if (flags.config !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.config, 'utf8');
    } catch (err) {
      throw new UsageError(`--config '${flags.config}': cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const fromFile = parseGatesConfig(text, flags.config);
    spec.thresholds.push(...fromFile.thresholds);
    spec.maxRegressions.push(...fromFile.maxRegressions);
  }
  if (spec.thresholds.length === 0 && spec.maxRegressions.length === 0) {
    throw new UsageError('gate: nothing to check: give --threshold, --max-regression (with --baseline) or --config FILE');
  }
  if (spec.maxRegressions.length > 0 && flags.baseline === undefined) {
    throw new UsageError('--max-regression needs --baseline FILE to compare against');
  }
  const report = await readReportFile(reportFile);
  const baseline = flags.baseline === undefined ? undefined : { report: await readReportFile(flags.baseline, '--baseline'), file: flags.baseline };
  return emit(evaluateGates(report, reportFile, spec, flags.select, baseline), flags);
}

/**
 * `bench --threshold …`: the thresholds are parsed before anything runs (a typo exits 2 at once);
 * `apply` gates the fresh report and resolves 0 or 1. With `--json` the gate table goes to stderr,
 * so stdout stays one JSON document.
 */
export function prepareBenchGates(thresholds: readonly string[] | undefined): null | {
  apply(report: Report, reportFile: string, json: boolean): Promise<number>;
} {
  if (thresholds === undefined || thresholds.length === 0) return null;
  const parsed: Threshold[] = thresholds.map((t) => parseThreshold(t));
  return {
    async apply(report, reportFile, json) {
      const o = evaluateGates(report, reportFile, { thresholds: parsed, maxRegressions: [], minDeltaMs: 0 }, undefined);
      return (await emit(o, {}, json)) ? 0 : 1;
    },
  };
}
