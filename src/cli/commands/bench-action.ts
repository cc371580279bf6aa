import { createWriteStream, type WriteStream } from 'node:fs';
import { ExitCode, UsageError } from '../../model/errors.js';
import { parseSlo, SloSyntaxError, type Slo } from '../../model/slo.js';
import { traceLines } from '../../report/trace-lines.js';
import { bench } from '../../probe/bench.js';
import { failureHints } from '../failure-hints.js';
import { openAiOptionsFrom } from '../openai-options.js';
import { browserOptionsFrom } from '../browser-options.js';
import { attachPhaseLines, attachProgressLine } from '../progress-line.js';
import { renderTable } from '../../report/render-table.js';
import { reportErrors } from '../../report/validate-report.js';
import { defaultReportPath, ensureWritable, serializeReport, writeReport } from '../../report/write-report.js';
import type { BenchFlags } from './bench.js';
import { prepareBenchGates } from './gate-action.js';
import { colors } from '../color.js';

/** Runs `bench`, writes the report, prints the table or JSON. Resolves to 0, 1 (a --threshold failed), 3 or 130 (interrupted). */
export async function runBenchCommand(url: string | undefined, flags: BenchFlags, args: readonly string[]): Promise<number> {
  if (flags.serverTime !== undefined && flags.serverTime.trim() === '') throw new UsageError('--server-time: empty path');
  if (flags.html === '-') throw new UsageError('--html: give a file (stdout carries the table, or the JSON with --json)');
  const gates = prepareBenchGates(flags.threshold);
  const outFile = flags.out === false ? null : (flags.out ?? defaultReportPath('bench'));
  if (outFile !== null) await ensureWritable(outFile, '--out');
  if (flags.html !== undefined) await ensureWritable(flags.html, '--html');
  let slo: Slo | undefined;
  if (flags.slo !== undefined) {
    try {
      slo = parseSlo(flags.slo);
    } catch (err) {
      if (err instanceof SloSyntaxError) throw new UsageError(`--slo: ${err.message}`);
      throw err;
    }
  }
  if (flags.trace === '-') throw new UsageError('--trace: give a file (stdout carries the table, or the JSON with --json)');
  if (flags.trace !== undefined) await ensureWritable(flags.trace, '--trace');
  const trace: WriteStream | null = flags.trace !== undefined ? createWriteStream(flags.trace) : null;
  const openai = openAiOptionsFrom(url, flags);
  const { openai: _openaiBaseUrl, slo: _sloText, trace: _traceFile, heartbeatMs, browser: _browser, browserApi: _api, browserPath: _path, ...benchFlags } = flags;
  const browser = browserOptionsFrom(flags);
  // Progress only on a terminal and not --quiet (docs/cli.md): the runner emits, the line listens.
  const progress = flags.quiet !== true && process.stderr.isTTY === true;
  // First Ctrl-C: stop after aborting the request in flight, and still report what was measured.
  // A second one gets Node's default (exit at once).
  const interrupt = new AbortController();
  const onSigint = () => {
    process.stderr.write('\nnotebook-stream: interrupted; reporting the requests measured so far (Ctrl-C again to quit)\n');
    process.removeListener('SIGINT', onSigint);
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  let outcome;
  try {
    outcome = await bench(
      {
        ...benchFlags,
        ...(url !== undefined ? { url } : {}),
        ...(openai !== undefined ? { openai } : {}),
        ...(browser !== undefined ? { browser } : {}),
        requests: flags.duration !== undefined ? null : flags.requests,
        durationMs: flags.duration ?? null,
        rate: flags.rate ?? null,
        maxInFlight: flags.maxInFlight ?? null,
        connections: flags.connections ?? null,
        args,
        env: process.env,
        ...(slo !== undefined ? { slo } : {}),
        heartbeatMs: heartbeatMs ?? null,
        ...(trace !== null ? { onRecord: (r) => trace.write(traceLines(r)) } : {}),
      },
      progress ? (runner) => attachProgressLine(runner, process.stderr) : flags.quiet !== true && flags.json !== true ? (runner) => attachPhaseLines(runner, process.stderr, 'bench') : undefined,
      interrupt.signal,
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
    if (trace !== null) {
      await new Promise<void>((resolve) => trace.end(resolve));
      if (trace.errored !== null) process.stderr.write(`notebook-stream: --trace ${flags.trace}: ${trace.errored.message}; trace incomplete\n`);
      else if (flags.quiet !== true && flags.json !== true) process.stderr.write(`trace: ${flags.trace}\n`);
    }
  }
  const { report } = outcome;
  const problems = reportErrors(report);
  if (problems.length > 0) throw new Error(`report does not match its schema: ${problems.slice(0, 3).join('; ')}`);
  let file = 'this bench run';
  if (outFile !== null) {
    try {
      file = await writeReport(report, outFile);
      if (flags.quiet !== true && flags.json !== true) process.stderr.write(`report: ${file}\n`);
    } catch (err) {
      // Checked before the run; if it fails now, the measurement is still printed below.
      process.stderr.write(`notebook-stream: --out ${outFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; report not written\n`);
    }
  }
  if (flags.html !== undefined) {
    const { renderHtml } = await import('../../report/render-html.js');
    const { writeOutput } = await import('../write-output.js');
    try {
      const html = await writeOutput(flags.html, renderHtml(report), { dashToStdout: true });
      if (flags.quiet !== true && flags.json !== true) process.stderr.write(`html: ${html}\n`);
    } catch (err) {
      // As --out: checked before the run; a late failure still prints the measurement.
      process.stderr.write(`notebook-stream: --html ${flags.html}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; page not written\n`);
    }
  }
  if (flags.definitions !== undefined && report.configurations.every((c) => c.definitions === undefined) && flags.quiet !== true) {
    process.stderr.write(`notebook-stream: --definitions ${flags.definitions}: no successful LLM stream was measured, so there is nothing to show under its names\n`);
  }
  process.stdout.write(flags.json === true ? serializeReport(report) : renderTable(report, await colors()));
  if (outcome.interrupted) return ExitCode.INTERRUPTED;
  const hints = failureHints(report.configurations[0]!, flags);
  if (outcome.nothingMeasured) {
    process.stderr.write(`notebook-stream: ${outcome.reason}\n`);
    for (const h of hints) process.stderr.write(`hint: ${h}\n`);
    return 3;
  }
  for (const h of hints) process.stderr.write(`hint: ${h}\n`);
  return gates === null ? 0 : gates.apply(report, file, flags.json === true);
}
