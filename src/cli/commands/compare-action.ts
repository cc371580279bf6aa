import { writeOutput } from '../write-output.js';
import { browserOptionsFrom } from '../browser-options.js';
import path from 'node:path';
import { ExitCode, UsageError } from '../../model/errors.js';
import { compare, type CompareProgress } from '../../probe/compare.js';
import { langFromLocale } from '../../report/compare-labels.js';
import { compareMarkdown } from '../../report/markdown.js';
import { readReportFile } from '../../report/read-report.js';
import { renderCompare } from '../../report/render-compare.js';
import { failureHints } from '../failure-hints.js';
import { terminalWidth } from '../terminal-width.js';
import type { Report, ReportConfiguration } from '../../model/report.js';
import { reportErrors } from '../../report/validate-report.js';
import { defaultReportPath, serializeReport, writeReport } from '../../report/write-report.js';
import type { CompareFlags } from './compare.js';
import { colors } from '../color.js';

const isUrl = (s: string) => /^(https?|wss?):\/\//i.test(s);

/** Saved reports side by side: every configuration of every file, in order (or `--select`ed). */
async function fromReports(files: string[], flags: CompareFlags, args: readonly string[]): Promise<Report> {
  const reports = await Promise.all(files.map((f) => readReportFile(f)));
  let entries: Array<{ c: ReportConfiguration; file: string }> = reports.flatMap((r, i) => r.configurations.map((c) => ({ c, file: files[i]! })));
  if (flags.select !== undefined) {
    for (const name of flags.select) {
      if (!entries.some((e) => e.c.name === name)) {
        throw new UsageError(`--select: no configuration '${name}' in ${files.join(', ')} (they hold: ${entries.map((e) => e.c.name).join(', ')})`);
      }
    }
    entries = entries.filter((e) => flags.select!.includes(e.c.name));
  }
  if (entries.length < 2) {
    throw new UsageError(`compare needs two configurations or more; ${files.join(', ')} hold${files.length === 1 ? 's' : ''} ${entries.length}`);
  }
  const labels = flags.label ?? [];
  if (labels.length > entries.length) throw new UsageError(`Too many --label options: expected ${entries.length} at most (one per configuration)`);
  const taken = new Set<string>();
  const configurations = entries.map(({ c, file }, i) => {
    let name = labels[i] ?? c.name;
    if (taken.has(name)) name = `${name} (${path.basename(file)})`;
    for (let k = 2; taken.has(name); k++) name = `${labels[i] ?? c.name}#${k}`;
    taken.add(name);
    return { ...c, name };
  });
  return { ...reports[0]!, command: 'compare', created_at: new Date().toISOString(), args: [...args], configurations };
}


/** Runs `compare`, writes the report and Markdown, prints the table or JSON. Resolves to 0 or 3. */
export async function runCompareCommand(inputs: string[], flags: CompareFlags, args: readonly string[]): Promise<number> {
  const lang = flags.lang ?? langFromLocale(process.env);
  if (flags.html === '-') throw new UsageError('--html: give a file (stdout carries the table, or the JSON with --json)');
  const urls = inputs.filter(isUrl);
  const files = inputs.filter((s) => !isUrl(s));
  if (urls.length > 0 && files.length > 0) throw new UsageError(`compare: give URLs or report files, not both (URLs: ${urls.join(', ')}; files: ${files.join(', ')})`);
  let report: Report;
  let code = 0;
  let defaultOut: string | null = null;
  if (files.length > 0) {
    if (flags.browser === true) throw new UsageError('--browser: measures; with report files compare reads what they hold (bench --browser reports keep the page rows)');
    report = await fromReports(files, flags, args);
  } else {
    if (flags.select !== undefined) throw new UsageError('--select: picks configurations of report files; give report files');
    const progress = flags.quiet !== true && process.stderr.isTTY === true;
    // Without a terminal: a line per round (a CI log shows the run is alive), not a redrawn line.
    let lastRound = 0;
    const onProgress = progress
      ? (p: CompareProgress) => process.stderr.write(`\r\x1b[Kround ${p.round}/${p.rounds} ${p.configuration} ${p.done}/${p.total}`)
      : flags.quiet !== true && flags.json !== true
        ? (p: CompareProgress) => {
            if (p.round !== lastRound) process.stderr.write(`compare: round ${(lastRound = p.round)}/${p.rounds}\n`);
          }
        : undefined;
    // First Ctrl-C: end the streams in flight, drop the unfinished round, report the completed
    // ones (as bench does). A second one gets Node's default (exit at once).
    const interrupt = new AbortController();
    const onSignal = () => {
      process.stderr.write('\nnotebook-stream: interrupted; reporting the rounds completed so far (Ctrl-C again to quit)\n');
      process.removeListener('SIGINT', onSignal);
      interrupt.abort();
    };
    process.on('SIGINT', onSignal);
    const { browser: _browser, browserApi: _api, browserPath: _path, ...rest } = flags;
    const browser = browserOptionsFrom(flags);
    const outcome = await compare(
      {
        ...rest,
        ...(browser !== undefined ? { browser } : {}),
        urls,
        labels: flags.label ?? [],
        // The serve child reads the Jupyter token from its environment (never from argv, where ps shows it).
        env: flags.jupyterToken === undefined ? process.env : { ...process.env, JUPYTER_TOKEN: flags.jupyterToken },
        workload: {
          count: flags.count,
          intervalMs: flags.intervalMs,
          firstDelayMs: flags.firstDelayMs,
          fixture: flags.fixture,
          speed: flags.speed,
          ...(flags.model !== undefined ? { model: flags.model } : {}),
          ...(flags.llmBaseUrl !== undefined ? { llmBaseUrl: flags.llmBaseUrl } : {}),
          ...(flags.llmApiKeyFile !== undefined ? { llmApiKeyFile: flags.llmApiKeyFile } : {}),
          ...(flags.jupyterUrl !== undefined ? { jupyterUrl: flags.jupyterUrl } : {}),
          ...(flags.jupyterTuning !== undefined ? { jupyterTuning: flags.jupyterTuning } : {}),
        },
        args,
      },
      onProgress,
      interrupt.signal,
    ).finally(() => process.removeListener('SIGINT', onSignal));
    if (progress) process.stderr.write('\r\x1b[K');
    report = outcome.report;
    defaultOut = defaultReportPath('compare');
    if (outcome.nothingMeasured) {
      process.stderr.write(`notebook-stream: ${outcome.reason}\n`);
      const hints = new Set(report.configurations.flatMap((c) => failureHints(c, flags)));
      for (const h of hints) process.stderr.write(`hint: ${h}\n`);
      code = 3;
    } else if (outcome.interrupted) {
      code = ExitCode.INTERRUPTED;
    }
  }
  const problems = reportErrors(report);
  if (problems.length > 0) throw new Error(`report does not match its schema: ${problems.slice(0, 3).join('; ')}`);
  const out = flags.out === false ? null : (flags.out ?? defaultOut);
  if (out !== null) {
    const file = await writeReport(report, out);
    if (flags.quiet !== true && flags.json !== true) process.stderr.write(`report: ${file}\n`);
  }
  if (flags.markdown !== undefined) await writeOutput(flags.markdown, compareMarkdown(report, lang), { flag: '--markdown' });
  if (flags.html !== undefined) {
    const { reportExporter } = await import('../../report/exporter.js');
    await writeOutput(flags.html, reportExporter('html', lang)(report), { flag: '--html' });
    if (flags.quiet !== true && flags.json !== true) process.stderr.write(`html: ${flags.html}\n`);
  }
  process.stdout.write(flags.json === true ? serializeReport(report) : renderCompare(report, lang, { width: terminalWidth(), wide: flags.wide === true, colors: await colors() }));
  return code;
}
