import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { VERDICTS, type Verdict } from '../model/doctor-result.js';
import { UsageError } from '../model/errors.js';
import { buildRequestSpec, type RequestFlags } from '../probe/build-request-spec.js';
import { parseThreshold, type Threshold } from '../probe/gate-expression.js';
import { MONITOR_PING, type MonitorTarget } from '../monitor/target.js';
import { parseDuration } from './duration.js';

/** What the command line sets for every target (a file's fields override them per target). */
export interface MonitorDefaults extends RequestFlags {
  intervalMs: number;
  doctorEvery: number;
  expect?: Verdict[];
  gate?: string[];
}

/** Keys of a target in a --config file (docs/monitoring.md, "Targets file"). */
const TARGET_KEYS = [
  'name', 'url', 'method', 'headers', 'body', 'operation', 'interval', 'timeout', 'connect_timeout', 'headers_timeout', 'idle_timeout',
  'expect', 'gates', 'doctor_every', 'http2', 'insecure', 'ca', 'identity', 'accept_encoding', 'format', 'server_time', 'keep_alive',
] as const;
const FILE_KEYS = ['targets', 'interval', 'timeout', 'doctor_every', 'expect', 'gates'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A duration field: seconds as a number, or `30s`, `500ms`, `2m`. */
function durationMs(v: unknown, where: string): number {
  try {
    if (typeof v === 'number') return parseDuration(String(v));
    if (typeof v === 'string') return parseDuration(v);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new UsageError(`${where}: ${err.message}`);
    throw err;
  }
  throw new UsageError(`${where}: expected a duration such as 30s or a number of seconds`);
}

function verdicts(v: unknown, where: string): Verdict[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    if (typeof x !== 'string' || !(VERDICTS as readonly string[]).includes(x)) throw new UsageError(`${where}: '${String(x)}' is not a verdict (${VERDICTS.join(', ')})`);
    return x as Verdict;
  });
}

function strings(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new UsageError(`${where}: expected a list of strings`);
  return v as string[];
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new UsageError(`${where}: expected true or false`);
  return v;
}

/** `TARGET` on the command line: `URL` or `NAME=URL`. */
function splitTarget(arg: string): { name: string | null; url: string } {
  const eq = arg.indexOf('=');
  if (eq > 0 && !arg.slice(0, eq).includes(':') && !arg.slice(0, eq).includes('/')) return { name: arg.slice(0, eq), url: arg.slice(eq + 1) };
  return { name: null, url: arg };
}

/** A target's default name: host:port and path, which is what an operator recognises. */
function nameOf(url: string): string {
  return URL.canParse(url) ? `${new URL(url).host}${new URL(url).pathname}` : url;
}

interface Draft {
  name: string;
  flags: RequestFlags & { url: string };
  intervalMs: number;
  doctorEvery: number;
  expect: Verdict[] | null;
  gates: string[];
  where: string;
}

/** A file's target: its fields over the defaults (file-wide keys, then the command line). */
function fromFile(t: unknown, i: number, file: string, base: Draft): Draft {
  const where = `--config ${file}: targets[${i}]`;
  if (!isObj(t)) throw new UsageError(`${where}: expected an object with at least url`);
  for (const key of Object.keys(t)) {
    if (!(TARGET_KEYS as readonly string[]).includes(key)) throw new UsageError(`${where}: unknown key '${key}' (known: ${TARGET_KEYS.join(', ')})`);
  }
  if (typeof t['url'] !== 'string') throw new UsageError(`${where}: url is required (e.g. url: http://127.0.0.1:18600/send_operation)`);
  const f: RequestFlags & { url: string } = { ...base.flags, url: t['url'], header: [...(base.flags.header ?? [])] };
  const at = (k: string) => `${where}.${k}`;
  if (t['method'] !== undefined) f.method = String(t['method']);
  if (t['headers'] !== undefined) {
    const h = t['headers'];
    if (isObj(h)) f.header!.push(...Object.entries(h).map(([k, v]) => `${k}: ${String(v)}`));
    else f.header!.push(...strings(h, at('headers')));
  }
  if (t['body'] !== undefined && t['operation'] !== undefined) throw new UsageError(`${where}: give body or operation, not both`);
  // The file's body replaces the command line's --body or --body-file for this target.
  if (t['body'] !== undefined || t['operation'] !== undefined) delete f.bodyFile;
  if (t['body'] !== undefined) f.body = typeof t['body'] === 'string' ? t['body'] : JSON.stringify(t['body']);
  if (t['operation'] !== undefined) {
    if (!isObj(t['operation'])) throw new UsageError(`${at('operation')}: expected an object such as { type: ping, count: 50 }`);
    f.body = JSON.stringify({ ...MONITOR_PING, operation: t['operation'] });
  }
  if (t['timeout'] !== undefined) f.requestTimeoutS = Math.max(1, Math.ceil(durationMs(t['timeout'], at('timeout')) / 1000));
  if (t['connect_timeout'] !== undefined) f.connectTimeoutMs = durationMs(t['connect_timeout'], at('connect_timeout'));
  if (t['headers_timeout'] !== undefined) f.headersTimeoutMs = durationMs(t['headers_timeout'], at('headers_timeout'));
  if (t['idle_timeout'] !== undefined) f.idleTimeoutMs = durationMs(t['idle_timeout'], at('idle_timeout'));
  if (t['http2'] !== undefined) f.http2 = bool(t['http2'], at('http2'));
  if (t['insecure'] !== undefined) f.insecure = bool(t['insecure'], at('insecure'));
  if (t['identity'] !== undefined) f.identity = bool(t['identity'], at('identity'));
  if (t['keep_alive'] !== undefined) f.keepAlive = bool(t['keep_alive'], at('keep_alive'));
  if (t['ca'] !== undefined) f.ca = String(t['ca']);
  if (t['accept_encoding'] !== undefined) f.acceptEncoding = String(t['accept_encoding']);
  if (t['server_time'] !== undefined) f.serverTime = String(t['server_time']);
  if (t['format'] !== undefined) {
    const fmt = String(t['format']);
    if (!['auto', 'sse', 'ndjson', 'raw'].includes(fmt)) throw new UsageError(`${at('format')}: expected auto, sse, ndjson or raw`);
    f.format = fmt as RequestFlags['format'];
  }
  let doctorEvery = base.doctorEvery;
  if (t['doctor_every'] !== undefined) {
    const n = t['doctor_every'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new UsageError(`${at('doctor_every')}: expected a whole number, 0 for never`);
    doctorEvery = n;
  }
  return {
    name: t['name'] === undefined ? nameOf(t['url']) : String(t['name']),
    flags: f,
    intervalMs: t['interval'] === undefined ? base.intervalMs : durationMs(t['interval'], at('interval')),
    doctorEvery,
    expect: t['expect'] === undefined ? base.expect : verdicts(t['expect'], at('expect')),
    gates: t['gates'] === undefined ? base.gates : strings(t['gates'], at('gates')),
    where,
  };
}

async function readConfig(file: string, base: Draft): Promise<Draft[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--config ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let doc: unknown;
  try {
    // YAML 1.2 reads JSON as well: one parser for both formats.
    doc = parseYaml(text);
  } catch (err) {
    throw new UsageError(`--config ${file}: not YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc) || !Array.isArray(doc['targets'])) throw new UsageError(`--config ${file}: expected an object with a list 'targets' (docs/monitoring.md, "Targets file")`);
  for (const key of Object.keys(doc)) {
    if (!(FILE_KEYS as readonly string[]).includes(key)) throw new UsageError(`--config ${file}: unknown key '${key}' (known: ${FILE_KEYS.join(', ')})`);
  }
  const fileBase = { ...base, flags: { ...base.flags } };
  if (doc['interval'] !== undefined) fileBase.intervalMs = durationMs(doc['interval'], `--config ${file}: interval`);
  if (doc['timeout'] !== undefined) fileBase.flags.requestTimeoutS = Math.max(1, Math.ceil(durationMs(doc['timeout'], `--config ${file}: timeout`) / 1000));
  if (doc['doctor_every'] !== undefined) {
    const n = doc['doctor_every'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new UsageError(`--config ${file}: doctor_every: expected a whole number, 0 for never`);
    fileBase.doctorEvery = n;
  }
  if (doc['expect'] !== undefined) fileBase.expect = verdicts(doc['expect'], `--config ${file}: expect`);
  if (doc['gates'] !== undefined) fileBase.gates = strings(doc['gates'], `--config ${file}: gates`);
  return doc['targets'].map((t, i) => fromFile(t, i, file, fileBase));
}

/** The targets of the command line and --config FILE, each request built and checked once. */
export async function resolveTargets(args: readonly string[], configFile: string | undefined, d: MonitorDefaults): Promise<MonitorTarget[]> {
  const { intervalMs, doctorEvery, expect, gate, ...flags } = d;
  const base: Draft = { name: '', flags: { ...flags, url: '' }, intervalMs, doctorEvery, expect: expect ?? null, gates: gate ?? [], where: '' };
  const drafts: Draft[] = args.map((arg) => {
    const { name, url } = splitTarget(arg);
    return { ...base, name: name ?? nameOf(url), flags: { ...base.flags, url }, where: `TARGET '${arg}'` };
  });
  if (configFile !== undefined) drafts.push(...(await readConfig(configFile, base)));
  if (drafts.length === 0) {
    throw new UsageError('monitor needs a target: a URL argument (NAME=URL to name it) or --config FILE (e.g. notebook-stream monitor http://127.0.0.1:18600/send_operation)');
  }
  const seen = new Set<string>();
  const out: MonitorTarget[] = [];
  for (const d of drafts) {
    if (seen.has(d.name)) throw new UsageError(`${d.where}: two targets are named '${d.name}'; name them (NAME=URL, or name: in --config)`);
    seen.add(d.name);
    const flags = { ...d.flags };
    const ping = flags.body === undefined && flags.bodyFile === undefined && URL.canParse(flags.url) && new URL(flags.url).pathname.endsWith('/send_operation');
    if (ping) flags.body = JSON.stringify(MONITOR_PING);
    let spec;
    try {
      spec = await buildRequestSpec(flags.url, flags);
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`${d.where}: ${err.message}`);
      throw err;
    }
    const gates: Threshold[] = d.gates.map((g) => parseThreshold(g, [`${d.where} gate`]));
    out.push({ name: d.name, spec, flags, intervalMs: d.intervalMs, expect: d.expect, gates, doctorEvery: d.doctorEvery });
  }
  return out;
}
