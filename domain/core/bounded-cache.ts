interface Entry<V> {
  value: V;
  /** When the entry stops being served, in the clock's milliseconds; `Infinity` for never. */
  expiresAt: number;
}

/** What a cache can hold: anything but `undefined`, which is how `get` says "not held". */
export type Cacheable = NonNullable<unknown> | null;

export interface BoundedCacheOptions {
  /** How long an entry is served after it is set, unless `set` says otherwise; none: until evicted. */
  ttlMs?: number;
  /** The time in milliseconds, read only for entries that expire (tests pass their own). */
  clock?: () => number;
}

/**
 * A per-isolate memory of at most `maxEntries` values. When full, the least recently used entry goes:
 * a hit moves its key to the back of the Map's insertion order (delete, then set the same entry: no
 * allocation), so what many requests share (a popular landing, the rules document, the few secrets)
 * stays while what one request brought is the first to go. A TTL is counted from `set`; a hit does
 * not extend it, so no value is served longer than the TTL after it was read.
 */
export class BoundedCache<K, V extends Cacheable> {
  readonly #entries = new Map<K, Entry<V>>();
  readonly #ttlMs: number;
  readonly #clock: () => number;

  constructor(
    readonly maxEntries: number,
    options: BoundedCacheOptions = {},
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError("a bounded cache holds at least one entry");
    this.#ttlMs = options.ttlMs ?? Number.POSITIVE_INFINITY;
    this.#clock = options.clock ?? Date.now;
  }

  /** The value of `key` if it is held and not expired at `now` (the clock by default), made the most recent. */
  get(key: K, now?: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt !== Number.POSITIVE_INFINITY && entry.expiresAt <= (now ?? this.#clock()))
      return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /**
   * Holds `value` for `key` (replacing any value it had) as the most recent entry, served for `ttlMs`
   * from `now` (the cache's TTL and clock by default); evicts the least recent entry when over capacity.
   */
  set(key: K, value: V, ttlMs = this.#ttlMs, now?: number): void {
    const expiresAt = ttlMs === Number.POSITIVE_INFINITY ? ttlMs : (now ?? this.#clock()) + ttlMs;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Entries held, expired ones not yet looked up included. */
  get size(): number {
    return this.#entries.size;
  }
}
