import type { ReportConfiguration } from '../model/report.js';

/** What the user asked for that a hint depends on. */
export interface HintContext {
  http2?: boolean | undefined;
  insecure?: boolean | undefined;
  ca?: string | undefined;
}

/**
 * What to do about the failures of a run, one line per cause the CLI recognises from the error
 * kinds and their first messages (issue 32: a self-signed certificate and an h2c-only server
 * failed without saying which flag fixes them). Only the CLI knows the flags, so the hints live here.
 */
export function failureHints(c: ReportConfiguration, ctx: HintContext): string[] {
  const examples = c.error_examples ?? {};
  const hints: string[] = [];
  const tls = examples['tls'];
  if (tls !== undefined && ctx.insecure !== true && /self[- ]signed|unable to (verify|get local issuer)|certificate/i.test(tls)) {
    hints.push(
      `the server's certificate is not trusted (${tls}): ${ctx.ca === undefined ? 'give its CA with --ca FILE, or ' : 'check that --ca names its CA, or use '}--insecure to accept any certificate`,
    );
  }
  const protocol = examples['protocol'];
  if (protocol !== undefined && ctx.http2 !== true && /does not match the HTTP\/1\.1 protocol|Expected HTTP\//i.test(protocol)) {
    hints.push('the server answered in a protocol other than HTTP/1.1: an h2c-only server (serve --http2) needs --http2');
  }
  const refused = examples['connect_refused'];
  if (refused !== undefined) hints.push(`nothing listens at ${c.target.url} (${refused}): is the server running, on that port?`);
  return hints;
}
