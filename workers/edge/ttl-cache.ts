interface Entry<T> {
  value: T;
  expiresAt: number;
}

/**
 * A per-isolate cache of KV reads. It keeps only values that have arrived, never a pending read:
 * a request awaiting a promise that another request's I/O settles is cancelled by workerd when that
 * other request ends first (a client that hangs up), so concurrent misses of one key each read for
 * themselves, and the last to arrive is kept. A failed read is never kept, so the next request retries.
 * Bounded: when full, the oldest entry goes first.
 */
export class TtlCache<T> {
  readonly #entries = new Map<string, Entry<T>>();

  constructor(readonly maxEntries: number) {}

  /** The cached value of `key`, or `load()` cached for `ttlMs` once it arrives; a TTL of 0 bypasses the cache. */
  get(key: string, ttlMs: number, now: number, load: () => Promise<T>): Promise<T> {
    if (ttlMs <= 0) return load();
    const hit = this.#entries.get(key);
    if (hit && hit.expiresAt > now) return Promise.resolve(hit.value);
    return load().then((value) => {
      this.#entries.delete(key);
      this.#entries.set(key, { value, expiresAt: now + ttlMs });
      if (this.#entries.size > this.maxEntries) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
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
