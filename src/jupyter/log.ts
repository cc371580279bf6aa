/**
 * Where one Jupyter side's log lines go: the managed server's own output and our notes about its
 * kernels. Each JupyterLog has its own sink and its own secrets (a server and its token), so two
 * servers in one process keep their logs apart; every line passes through `redact()` first, so a
 * token never reaches a log. Nothing here writes to stdout or stderr: the caller's sink decides
 * (serve: its fastify logger; the CLI's doctor: nothing).
 */
export type JupyterLogLevel = 'debug' | 'info' | 'warn';
export type JupyterLogSink = (level: JupyterLogLevel, line: string) => void;

export class JupyterLog {
  private readonly secrets = new Set<string>();

  /** Without a sink the lines go nowhere. */
  constructor(private readonly sink: JupyterLogSink = () => undefined) {}

  /** A value (a token) that must never appear in a log line: replaced by `<redacted>`. */
  addSecret(secret: string): void {
    if (secret.length > 0) this.secrets.add(secret);
  }

  removeSecret(secret: string): void {
    this.secrets.delete(secret);
  }

  /** Replaces every registered secret, and any `token=…` query value, by `<redacted>`. */
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('<redacted>');
    return out.replace(/([?&]token=)[^&\s"']+/gi, '$1<redacted>');
  }

  log(level: JupyterLogLevel, line: string): void {
    this.sink(level, this.redact(line));
  }
}
