/**
 * How long a KV write that failed waits before its one more try. KV takes at most one write per second
 * to a key and refuses the next with a 429: the same email captured again in the next batch or
 * unsubscribed just after its capture, two rule edits in a row. Waiting past that second lets the write
 * through instead of failing the whole operation.
 */
export const kvRewriteDelayMs = 1_100;

/** The writes that failed twice; `cause` is the first of the second failures. */
export class KvWriteError extends Error {
  override readonly name = "KvWriteError";

  constructor(
    readonly failed: number,
    readonly total: number,
    cause: unknown,
  ) {
    super(`${failed} of ${total} KV writes failed twice`, { cause });
  }
}

export interface KvWrite {
  key: string;
  value: string;
}

export interface KvWriteOptions {
  /** At most this many writes at once (default: all). */
  concurrency?: number;
  /** Milliseconds before failed writes are tried again (default {@link kvRewriteDelayMs}). */
  rewriteDelayMs?: number;
}

/**
 * Writes every entry. A write that fails is tried once more after the delay; only one that fails again
 * rejects the whole, with {@link KvWriteError}, after every other write has been made.
 */
export async function putEntries(
  kv: KVNamespace,
  writes: readonly KvWrite[],
  options: KvWriteOptions = {},
): Promise<void> {
  const failed = await putAll(kv, writes, options.concurrency);
  if (failed.length === 0) return;
  await new Promise((resolve) => setTimeout(resolve, options.rewriteDelayMs ?? kvRewriteDelayMs));
  const failedAgain = await putAll(
    kv,
    failed.map(({ write }) => write),
    options.concurrency,
  );
  const first = failedAgain[0];
  if (first) throw new KvWriteError(failedAgain.length, writes.length, first.error);
}

/** The writes, `concurrency` at a time; the ones that failed, with their errors. */
async function putAll(
  kv: KVNamespace,
  writes: readonly KvWrite[],
  concurrency = writes.length,
): Promise<{ write: KvWrite; error: unknown }[]> {
  const failed: { write: KvWrite; error: unknown }[] = [];
  const step = Math.max(1, concurrency);
  for (let start = 0; start < writes.length; start += step) {
    const chunk = writes.slice(start, start + step);
    const settled = await Promise.allSettled(chunk.map(({ key, value }) => kv.put(key, value)));
    settled.forEach((result, index) => {
      const write = chunk[index];
      if (result.status === "rejected" && write) failed.push({ write, error: result.reason });
    });
  }
  return failed;
}
