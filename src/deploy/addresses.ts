import { UsageError } from '../model/errors.js';
import { ft, type FieldRef } from '../model/field-text.js';

/**
 * Parsing of the host/port values the deployment generators take. They end up inside nginx or
 * systemd syntax, so anything outside a small safe alphabet is refused (a `;` or `{` in a host
 * would change the meaning of the generated file, not just break it).
 */
export interface HostPort {
  /** As nginx writes it: a name, an IPv4 address, or an IPv6 address in brackets. */
  host: string;
  port: number;
}

const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6_BRACKETED = /^\[[0-9A-Fa-f:.]+\]$/;

/** A port 1–65535 given as text; `flag` names the option at fault. */
export function parsePort(text: string, flag: FieldRef): number {
  if (!/^\d{1,5}$/.test(text)) throw new UsageError(ft`${flag} ${text}: the port must be a whole number from 1 to 65535`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new UsageError(ft`${flag} ${text}: the port must be a whole number from 1 to 65535`);
  return port;
}

/** `HOST:PORT` or `[IPV6]:PORT`. The port is required: nginx would otherwise guess 80. */
export function parseHostPort(value: string, flag: FieldRef): HostPort {
  const text = value.trim();
  const m = /^(\[[^\]]*\]|[^:[\]]*):(\d*)$/.exec(text);
  if (m === null || m[2] === '') {
    throw new UsageError(ft`${flag} ${value}: expected HOST:PORT (e.g. 127.0.0.1:18600, [::1]:18600); the port is missing`);
  }
  const host = m[1] ?? '';
  if (!HOST_NAME.test(host) && !IPV6_BRACKETED.test(host)) {
    throw new UsageError(ft`${flag} ${value}: "${host}" is not a host name or an IP address (IPv6 goes in brackets)`);
  }
  return { host, port: parsePort(m[2] ?? '', flag) };
}

/** An nginx `listen` address: `PORT`, `ADDR:PORT` or `[IPV6]:PORT`. */
export function parseListen(value: string, flag: FieldRef): HostPort | { host: null; port: number } {
  const text = value.trim();
  if (/^\d+$/.test(text)) return { host: null, port: parsePort(text, flag) };
  return parseHostPort(text, flag);
}

export function formatHostPort(hp: { host: string | null; port: number }): string {
  return hp.host === null ? String(hp.port) : `${hp.host}:${hp.port}`;
}
