import { RequestError, say, type Lang } from './request-error.js';
import { SOURCE_LOADERS, knownOperationTypes, type LoadedSource, type SourceDeps } from './sources/index.js';

/**
 * The sources of one server: loaded once each, with this server's configuration, and closed when
 * the server shuts down. Per server, not per process, so two servers in one process (tests,
 * compare) never share a chat upstream or a kernel pool.
 */
export class SourceRegistry {
  private readonly deps: SourceDeps;
  private readonly loaded = new Map<string, Promise<LoadedSource>>();

  constructor(deps: SourceDeps) {
    this.deps = deps;
  }

  load(type: string, lang: Lang): Promise<LoadedSource> {
    const hit = this.loaded.get(type);
    if (hit !== undefined) return hit;
    // Own keys only: `__proto__`, `constructor` or `toString` must not find Object.prototype's
    // members (they answered 500 NBS_INTERNAL; issue 25 item 6).
    const loader = Object.hasOwn(SOURCE_LOADERS, type) ? SOURCE_LOADERS[type] : undefined;
    if (loader === undefined) {
      const known = knownOperationTypes().join(', ');
      throw new RequestError(
        'NBS_UNKNOWN_OPERATION',
        say(lang, `unknown operation type "${type}" (known: ${known})`, `未知的 operation 类型 "${type}"（可用：${known}）`),
      );
    }
    const p = loader(this.deps);
    // A failed load is not cached: the next request tries again.
    p.catch(() => this.loaded.delete(type));
    this.loaded.set(type, p);
    return p;
  }

  /** Loads these ahead of the first request, so that request is not timed with an import. */
  async warm(types: readonly string[]): Promise<void> {
    await Promise.all(types.map((t) => this.load(t, 'en')));
  }

  /** A loaded source, or undefined when nothing asked for it yet (never loads). */
  async peek(type: string): Promise<LoadedSource | undefined> {
    return this.loaded.get(type)?.catch(() => undefined);
  }

  async close(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close?.()));
  }
}
