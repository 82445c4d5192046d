import { BoundedCache, type Cacheable } from "../../domain/core/bounded-cache.ts";

/**
 * A per-isolate cache of KV reads. It keeps only values that have arrived, never a pending read:
 * a request awaiting a promise that another request's I/O settles is cancelled by workerd when that
 * other request ends first (a client that hangs up), so concurrent misses of one key each read for
 * themselves, and the last to arrive is kept. A failed read is never kept, so the next request retries.
 * Bounded: when full, the least recently used entry goes first (see {@link BoundedCache}).
 */
export class TtlCache<T extends Cacheable> {
  readonly #entries: BoundedCache<string, T>;

  constructor(readonly maxEntries: number) {
    this.#entries = new BoundedCache(maxEntries);
  }

  /** The cached value of `key`, or `load()` cached for `ttlMs` once it arrives; a TTL of 0 bypasses the cache. */
  get(key: string, ttlMs: number, now: number, load: () => Promise<T>): Promise<T> {
    if (ttlMs <= 0) return load();
    const hit = this.#entries.get(key, now);
    if (hit !== undefined) return Promise.resolve(hit);
    return load().then((value) => {
      this.#entries.set(key, value, ttlMs, now);
      return value;
    });
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
