import { UsageError } from '../model/errors.js';
import { field, ft } from '../model/field-text.js';
import { formatHostPort, parseHostPort, parseListen } from './addresses.js';

/**
 * `config nginx`: the guide's `nginx_streaming.conf`, generated. A pure function from options to
 * text; validation throws UsageError naming the flag (exit 2). Every directive carries a comment
 * saying why, because the person reading this file is the one debugging a delayed stream.
 *
 * Targets nginx 1.22 (Debian 12): HTTP/2 is a `listen … http2` parameter there; the `http2 on;`
 * directive only exists from 1.25.1.
 */
export interface NginxConfigOptions {
  /** `HOST:PORT` of `notebook-stream serve` (default 127.0.0.1:18600). */
  upstream: string;
  /** Plain-HTTP listener: `PORT` or `ADDR:PORT` (default 80). */
  listen: string;
  /** `server_name` value(s), space separated (default `_`: any host). */
  serverName: string;
  /** The streaming endpoint (default /send_operation). */
  path: string;
  /** Print only the `location` block, for pasting into an existing `server {}`. */
  locationOnly: boolean;
  /** Certificate and key for an HTTPS listener with HTTP/2; both or neither. */
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  /** HTTPS listener: `PORT` or `ADDR:PORT` (default 443). */
  tlsListen: string;
  /** `proxy_read_timeout`/`proxy_send_timeout` in seconds; must exceed the heartbeat. */
  readTimeoutS: number;
  /** serve's `--heartbeat-s` (default 15), so the timeout can be checked against it. */
  heartbeatS: number;
  /** Put into the header comment (the command that regenerates this file). */
  generatedBy?: string | undefined;
}

export const NGINX_DEFAULTS = {
  upstream: '127.0.0.1:18600',
  listen: '80',
  serverName: '_',
  path: '/send_operation',
  tlsListen: '443',
  readTimeoutS: 3600,
  heartbeatS: 15,
} as const;

// Characters that cannot change nginx syntax: no spaces, quotes, `;`, `{`, `}`, `$` or `#`.
const PATH_RE = /^\/[A-Za-z0-9._~/-]*$/;
const SERVER_NAME_RE = /^(?:_|[A-Za-z0-9*~^.-][A-Za-z0-9*.-]*)$/;
const FILE_RE = /^[A-Za-z0-9._/+@=,:-]+$/;

interface Checked {
  upstream: string;
  listen: string;
  serverNames: string[];
  path: string;
  tls: { cert: string; key: string; listen: string } | null;
  readTimeoutS: number;
  heartbeatS: number;
}

function check(o: NginxConfigOptions): Checked {
  const upstream = formatHostPort(parseHostPort(o.upstream, field('upstream')));
  const listen = formatHostPort(parseListen(o.listen, field('listen')));
  if (!PATH_RE.test(o.path)) {
    throw new UsageError(
      ft`${field('path')} ${o.path}: expected an absolute URL path starting with "/" (letters, digits, . _ ~ - /), e.g. /send_operation`,
    );
  }
  const serverNames = o.serverName.trim().split(/\s+/);
  for (const name of serverNames) {
    if (!SERVER_NAME_RE.test(name)) throw new UsageError(ft`${field('serverName')} ${o.serverName}: "${name}" is not a server name`);
  }
  let tls: Checked['tls'] = null;
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
    throw new UsageError(o.tlsCert === undefined ? ft`${field('tlsKey')} needs ${field('tlsCert')}` : ft`${field('tlsCert')} needs ${field('tlsKey')}`, { code: 'NBS_USAGE_REQUIRES' });
  }
  if (o.tlsCert !== undefined && o.tlsKey !== undefined) {
    if (!FILE_RE.test(o.tlsCert)) throw new UsageError(ft`${field('tlsCert')} ${o.tlsCert}: the path has characters nginx would misread`);
    if (!FILE_RE.test(o.tlsKey)) throw new UsageError(ft`${field('tlsKey')} ${o.tlsKey}: the path has characters nginx would misread`);
    tls = { cert: o.tlsCert, key: o.tlsKey, listen: formatHostPort(parseListen(o.tlsListen, field('tlsListen'))) };
  }
  if (!Number.isInteger(o.readTimeoutS) || o.readTimeoutS < 1) {
    throw new UsageError(ft`${field('readTimeoutS')} ${o.readTimeoutS}: expected a whole number of seconds ≥ 1`);
  }
  if (!(o.heartbeatS >= 0)) throw new UsageError(ft`${field('heartbeatS')} ${o.heartbeatS}: expected a number ≥ 0`);
  if (o.heartbeatS > 0 && o.readTimeoutS <= o.heartbeatS) {
    throw new UsageError(
      ft`${field('readTimeoutS')} ${o.readTimeoutS}: must be longer than the heartbeat (${field('heartbeatS')} ${o.heartbeatS}), or nginx cuts idle streams between heartbeats`,
    );
  }
  return { upstream, listen, serverNames, path: o.path, tls, readTimeoutS: o.readTimeoutS, heartbeatS: o.heartbeatS };
}

/** One directive with its reason, as two lines at the given indent. */
function d(indent: string, why: string, directive: string): string {
  return `${indent}# ${why}\n${indent}${directive};\n`;
}

function forwardingHeaders(indent: string): string {
  return (
    d(indent, 'serve checks Host when it has no token (DNS-rebinding rule): pass the name the client asked for', 'proxy_set_header Host $host') +
    d(indent, 'the client address, not nginx\'s, for anything behind nginx that reads it', 'proxy_set_header X-Real-IP $remote_addr') +
    d(indent, 'the chain of client addresses (serve logs it as forwarded_for), appended to what earlier proxies sent', 'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for') +
    d(indent, 'whether the client used http or https', 'proxy_set_header X-Forwarded-Proto $scheme')
  );
}

function streamingLocation(c: Checked, indent: string): string {
  const i = `${indent}    `;
  const idle =
    c.heartbeatS > 0
      ? `longer than serve's heartbeat (${c.heartbeatS} s), so a quiet stream is never cut between heartbeats`
      : 'heartbeats are off: allow long silent cells before nginx gives up on the upstream';
  return (
    `${indent}# The streaming endpoint: every event must leave nginx the moment serve writes it.\n` +
    `${indent}location ${c.path} {\n` +
    d(i, 'notebook-stream serve', `proxy_pass http://${c.upstream}`) +
    d(i, 'HTTP/1.1 to serve: with nginx\'s default HTTP/1.0 the response cannot be chunked and arrives whole at the end', 'proxy_http_version 1.1') +
    d(i, 'do not forward the client\'s Connection header (close, upgrade) to serve', 'proxy_set_header Connection ""') +
    d(i, 'pass each chunk on as it arrives instead of filling buffers first; overrides proxy_buffering on in http {}', 'proxy_buffering off') +
    d(i, 'a stream is never stored or replayed from a cache', 'proxy_cache off') +
    d(i, 'gzip holds events until its buffer fills (with buffering: until the end); overrides gzip on in http {}', 'gzip off') +
    d(i, `${idle}`, `proxy_read_timeout ${c.readTimeoutS}s`) +
    d(i, 'the same bound for a client that stops reading', `proxy_send_timeout ${c.readTimeoutS}s`) +
    d(i, 'chunked framing to the client, so the response can start before its length is known (stated: an http {} off would break streaming)', 'chunked_transfer_encoding on') +
    forwardingHeaders(i) +
    `${indent}}\n`
  );
}

function otherLocations(c: Checked, indent: string): string {
  const i = `${indent}    `;
  return (
    `${indent}# Prometheus scrapes from this host only: stream counts and kernel memory are nobody else's business.\n` +
    `${indent}location = /metrics {\n` +
    d(i, 'the scraper on this machine', 'allow 127.0.0.1') +
    d(i, 'and over IPv6 loopback', 'allow ::1') +
    d(i, 'everyone else gets 403 from nginx itself', 'deny all') +
    d(i, 'notebook-stream serve', `proxy_pass http://${c.upstream}`) +
    d(i, 'keep-alive HTTP/1.1 to serve', 'proxy_http_version 1.1') +
    d(i, 'do not forward the client\'s Connection header to serve', 'proxy_set_header Connection ""') +
    forwardingHeaders(i) +
    `${indent}}\n\n` +
    `${indent}# Everything else (/healthz): plain proxying.\n` +
    `${indent}location / {\n` +
    d(i, 'notebook-stream serve', `proxy_pass http://${c.upstream}`) +
    d(i, 'keep-alive HTTP/1.1 to serve', 'proxy_http_version 1.1') +
    d(i, 'do not forward the client\'s Connection header to serve', 'proxy_set_header Connection ""') +
    forwardingHeaders(i) +
    `${indent}}\n`
  );
}

/** The config text: a complete `server {}` (for conf.d/ or sites-enabled/), or just the location. */
export function nginxConfig(options: NginxConfigOptions): string {
  const c = check(options);
  const head =
    `# notebook-stream behind nginx (for nginx 1.22 or newer)${options.generatedBy ? `: generated by ${options.generatedBy}` : ''}\n` +
    (options.locationOnly
      ? '# Paste inside an existing server { } block, then: nginx -t && systemctl reload nginx\n'
      : '# Goes inside http { } (e.g. /etc/nginx/conf.d/notebook-stream.conf), then: nginx -t && systemctl reload nginx\n');
  if (options.locationOnly) return head + streamingLocation(c, '');
  const i = '    ';
  let server = `${head}server {\n` + d(i, 'plain HTTP', `listen ${c.listen}`);
  if (c.tls !== null) {
    server +=
      d(i, 'HTTPS with HTTP/2 by ALPN; nginx 1.22 takes http2 here (the http2 on; directive needs 1.25.1)', `listen ${c.tls.listen} ssl http2`) +
      d(i, 'certificate chain for the HTTPS listener', `ssl_certificate ${c.tls.cert}`) +
      d(i, 'its private key', `ssl_certificate_key ${c.tls.key}`);
  }
  server += d(i, 'the names this server answers for (_ = any)', `server_name ${c.serverNames.join(' ')}`);
  server += '\n' + streamingLocation(c, i) + '\n' + otherLocations(c, i) + '}\n';
  return server;
}
