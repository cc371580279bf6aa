import { Option, type Command } from 'commander';
import type { RequestFlags } from '../../probe/build-request-spec.js';
import { collect, intIn } from '../options.js';

/** The request flags check-headers and doctor share with bench (same names, same defaults). */
export type RequestFlagValues = RequestFlags;

export function addRequestOptions(cmd: Command, requestTimeoutS: number): Command {
  return cmd
    .option('-X, --method <method>', 'HTTP method (default POST with a body, else GET)')
    .option('-H, --header <header>', "request header 'Name: value' (repeatable)", collect)
    .option('--body <text>', 'request body (JSON gets Content-Type: application/json)')
    .option('--body-file <file>', 'request body from a file')
    .option('--accept-encoding <value>', "Accept-Encoding to send (default 'gzip, deflate, br', as browsers)")
    .option('--identity', 'ask for no compression (Accept-Encoding: identity; on ws:// no permessage-deflate offer)')
    .option('--http2', 'HTTP/2 (h2c prior knowledge on http:, ALPN on https:)')
    .option('--insecure', 'accept any TLS certificate')
    .option('--ca <file>', 'trust this CA certificate (PEM)')
    .option('--no-keep-alive', 'a new connection per request, as curl does')
    .addOption(new Option('--format <format>', 'body format (auto: by Content-Type, sniffing text/plain)').choices(['auto', 'sse', 'ndjson', 'raw']).default('auto'))
    .option('--max-event-bytes <n>', 'end a request whose event exceeds this (event_too_large)', intIn(16, 1 << 30), 1 << 20)
    .option('--server-time <path>', "field with the server's send time, PATH[:ms|s|us] (default t, ms)")
    .option('--connect-timeout-ms <ms>', 'connect timeout', intIn(1, 3_600_000), 10_000)
    .option('--headers-timeout-ms <ms>', 'time from request to complete headers', intIn(1, 3_600_000), 30_000)
    .option('--idle-timeout-ms <ms>', 'longest silence between body bytes (above the 15 s heartbeat)', intIn(1, 3_600_000), 60_000)
    .option('--request-timeout-s <s>', 'longest whole request', intIn(1, 86_400), requestTimeoutS);
}
