import { readFile } from 'node:fs/promises';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { packageRoot } from '../../paths.js';
import { RequestError, say, type Lang } from '../request-error.js';
import type { Payload, ResultPayload } from '../source.js';

/**
 * Replay recordings (docs/fixtures.md): `{ "format": "notebook-stream.replay/1", "title",
 * "description", "source", "events": [{ "at_ms", "type", …payload fields }], "result": {…} }`.
 * A fixture is named by its file name without `.json`, or by a path inside fixtures/; anything that
 * resolves outside fixtures/ (`..`, absolute paths, symlinks out) is NBS_UNKNOWN_FIXTURE.
 */
export const REPLAY_FORMAT = 'notebook-stream.replay/1';

export interface ReplayEvent {
  atMs: number;
  payload: Exclude<Payload, ResultPayload>;
}

export interface ReplayRecording {
  title: string;
  events: ReplayEvent[];
  result: ResultPayload | null;
}

export function fixturesDir(): string {
  return join(packageRoot(), 'fixtures');
}

/** Names of the replay recordings that ship (top-level *.json of fixtures/). */
export function listFixtures(dir = fixturesDir()): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

const leaves = (lang: Lang) => say(lang, 'the path leaves fixtures/', '路径超出 fixtures/');

function unknown(lang: Lang, name: string, why: string): RequestError {
  const known = listFixtures().join(', ');
  return new RequestError(
    'NBS_UNKNOWN_FIXTURE',
    say(lang, `unknown fixture "${name}": ${why} (available: ${known})`, `未知的 fixture "${name}"：${why}（可用：${known}）`),
  );
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Resolves a fixture name to a real path inside fixtures/, or throws NBS_UNKNOWN_FIXTURE. */
export function resolveFixture(name: string, lang: Lang, dir = fixturesDir()): string {
  if (isAbsolute(name) || name.includes('\0')) throw unknown(lang, name, say(lang, 'absolute paths are not allowed', '不允许绝对路径'));
  const file = name.endsWith('.json') ? name : `${name}.json`;
  const root = realpathSync(dir);
  const candidate = resolve(root, file);
  if (!inside(root, candidate)) throw unknown(lang, name, leaves(lang));
  if (!existsSync(candidate)) throw unknown(lang, name, say(lang, 'no such file', '文件不存在'));
  // A symlink inside fixtures/ may point anywhere: judge where it really leads.
  const real = realpathSync(candidate);
  if (!inside(root, real)) throw unknown(lang, name, leaves(lang));
  return real;
}

const TEXT_TYPES = new Set(['chunk', 'stdout', 'stderr']);
const DISPLAY_KINDS = new Set(['display', 'update', 'execute_result', 'clear_output']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses and checks a recording; `where` names it in errors. */
export function parseRecording(json: unknown, where: string): ReplayRecording {
  const bad = (why: string) => new Error(`${where}: ${why}`);
  if (!isObject(json) || json['format'] !== REPLAY_FORMAT) throw bad(`not a replay recording (format must be "${REPLAY_FORMAT}")`);
  const events = json['events'];
  if (!Array.isArray(events)) throw bad('events must be an array');
  const out: ReplayEvent[] = [];
  let last = 0;
  events.forEach((e: unknown, i) => {
    if (!isObject(e)) throw bad(`events[${i}] must be an object`);
    const at = e['at_ms'];
    if (typeof at !== 'number' || !Number.isFinite(at) || at < last) throw bad(`events[${i}].at_ms must be a number ≥ the previous one`);
    last = at;
    const type = e['type'];
    if (typeof type === 'string' && TEXT_TYPES.has(type)) {
      if (typeof e['text'] !== 'string') throw bad(`events[${i}].text must be a string`);
      out.push({ atMs: at, payload: { type: type as 'chunk', text: e['text'] } });
    } else if (type === 'display') {
      const kind = e['kind'];
      if (typeof kind !== 'string' || !DISPLAY_KINDS.has(kind) || !isObject(e['data']) || !isObject(e['metadata'])) {
        throw bad(`events[${i}] needs kind (display|update|execute_result|clear_output), data and metadata`);
      }
      out.push({
        atMs: at,
        payload: {
          type: 'display',
          kind: kind as 'display',
          data: e['data'],
          metadata: e['metadata'],
          ...(isObject(e['transient']) ? { transient: e['transient'] } : {}),
        },
      });
    } else if (type === 'error') {
      const { at_ms: _at, type: _t, ...rest } = e;
      if (typeof rest['message'] !== 'string') throw bad(`events[${i}].message must be a string`);
      out.push({ atMs: at, payload: { code: 'NBS_SOURCE_FAILED', ...rest, type: 'error' } as ReplayEvent['payload'] });
    } else {
      throw bad(`events[${i}].type must be chunk, stdout, stderr, display or error`);
    }
  });
  const result = isObject(json['result']) ? ({ ...json['result'], type: 'result' } as ResultPayload) : null;
  return { title: typeof json['title'] === 'string' ? json['title'] : where, events: out, result };
}

const cache = new Map<string, ReplayRecording>();

export async function loadRecording(path: string, name: string, lang: Lang): Promise<ReplayRecording> {
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  let rec: ReplayRecording;
  try {
    rec = parseRecording(JSON.parse(await readFile(path, 'utf8')), `fixtures/${relative(fixturesDir(), path)}`);
  } catch (err) {
    throw unknown(lang, name, (err as Error).message);
  }
  cache.set(path, rec);
  return rec;
}
