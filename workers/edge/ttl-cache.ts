interface Entry<T> {
  value: Promise<T>;
  expiresAt: number;
}

/**
 * A per-isolate cache of KV reads. It holds the pending read itself, so concurrent requests for
 * the same key share one KV round trip, and drops a read that failed so the next request retries.
 * Bounded: when full, the oldest entry goes first.
 */
export class TtlCache<T> {
  readonly #entries = new Map<string, Entry<T>>();

  constructor(readonly maxEntries: number) {}

  /** The cached value of `key`, or `load()` cached for `ttlMs`; a TTL of 0 bypasses the cache. */
  get(key: string, ttlMs: number, now: number, load: () => Promise<T>): Promise<T> {
    if (ttlMs <= 0) return load();
    const hit = this.#entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    if (hit) this.#entries.delete(key);
    const value = load();
    const entry: Entry<T> = { value, expiresAt: now + ttlMs };
    this.#entries.set(key, entry);
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
