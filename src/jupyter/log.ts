import { format } from 'node:util';

/**
 * Where the Jupyter side's log lines go: the managed server's own output, and what
 * @jupyterlab/services prints through `console` (it writes `console.debug` lines such as
 * `Starting WebSocket: …` to stdout, which must carry only our URL: docs/cli.md, "stdout and
 * stderr"). Every line passes through `redact()` first, so a token never reaches a log.
 */
export type JupyterLogLevel = 'debug' | 'info' | 'warn';
export type JupyterLogSink = (level: JupyterLogLevel, line: string) => void;

const secrets = new Set<string>();

function debugOn(): boolean {
  const on = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v !== 'false';
  return on(process.env['NOTEBOOK_STREAM_DEBUG']) || on(process.env['NBS_DEBUG']);
}

/** Default: warnings and info to stderr; debug lines only with NOTEBOOK_STREAM_DEBUG. */
const stderrSink: JupyterLogSink = (level, line) => {
  if (level === 'debug' && !debugOn()) return;
  process.stderr.write(`notebook-stream: jupyter: ${line}\n`);
};

let sink: JupyterLogSink = stderrSink;

/** Routes Jupyter log lines to `next` (the server's logger, or a test's collector); undefined restores stderr. */
export function setJupyterLogSink(next: JupyterLogSink | undefined): void {
  sink = next ?? stderrSink;
}

/** A value (a token) that must never appear in a log line: replaced by `<redacted>`. */
export function addSecret(secret: string): void {
  if (secret.length > 0) secrets.add(secret);
}

export function removeSecret(secret: string): void {
  secrets.delete(secret);
}

/** Replaces every registered secret, and any `token=…` query value, by `<redacted>`. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('<redacted>');
  out = out.replace(/([?&]token=)[^&\s"']+/gi, '$1<redacted>');
  return out;
}

export function jupyterLog(level: JupyterLogLevel, line: string): void {
  sink(level, redact(line));
}

let routed = false;

/**
 * Sends `console.log`, `console.info` and `console.debug` (which Node writes to stdout), and
 * `console.warn`/`console.error`, to the Jupyter log instead. Called once when the Jupyter client is first used: @jupyterlab/services
 * logs through the global console and offers no logger option, so the console itself is routed.
 * Nothing else in notebook-stream prints through `console` (the CLI writes to process.stdout).
 */
export function routeConsoleToJupyterLog(): void {
  if (routed) return;
  routed = true;
  console.debug = (...args: unknown[]) => jupyterLog('debug', format(...args));
  console.log = (...args: unknown[]) => jupyterLog('info', format(...args));
  console.info = (...args: unknown[]) => jupyterLog('info', format(...args));
  // Its warnings and errors (`Connection lost, reconnecting…`, websocket errors) are redacted too.
  console.warn = (...args: unknown[]) => jupyterLog('warn', format(...args));
  console.error = (...args: unknown[]) => jupyterLog('warn', format(...args));
}
