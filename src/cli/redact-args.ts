/** Header names whose values are credentials (RFC 9110 §11.6.2, §11.7.2, and common API-key headers). */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'cookie']);

function redactHeader(value: string): string {
  const colon = value.indexOf(':');
  if (colon <= 0 || !SECRET_HEADERS.has(value.slice(0, colon).trim().toLowerCase())) return value;
  return `${value.slice(0, colon)}: [redacted]`;
}

/** Flags whose value is a secret itself (compare's Jupyter token, serve's token). */
const SECRET_FLAGS = new Set(['--jupyter-token', '--token']);

/**
 * The command line as a report records it (`args`), with the values of credential headers given by
 * `-H`/`--header` replaced by `[redacted]`: a report is shared, a key in it leaks. (vLLM's benchmark
 * redacts its `--header` argument in saved results for the same reason.)
 */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (SECRET_FLAGS.has(a) && i + 1 < args.length) {
      out.push(a, '[redacted]');
      i++;
    } else if (SECRET_FLAGS.has(a.split('=')[0]!) && a.includes('=')) {
      out.push(`${a.split('=')[0]!}=[redacted]`);
    } else if ((a === '-H' || a === '--header') && i + 1 < args.length) {
      out.push(a, redactHeader(args[++i]!));
    } else if (a.startsWith('--header=')) {
      out.push(`--header=${redactHeader(a.slice('--header='.length))}`);
    } else if (a.startsWith('-H') && a.length > 2) {
      out.push(`-H${redactHeader(a.slice(2))}`);
    } else {
      out.push(a);
    }
  }
  return out;
}
