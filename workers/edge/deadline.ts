/** The error a read that ran past its deadline rejects with; the edge treats it as KV being down. */
export class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";

  constructor(readonly deadlineMs: number) {
    super(`no answer within ${deadlineMs} ms`);
  }
}

/**
 * `promise`, or a rejection with {@link DeadlineExceeded} when it has not settled within `deadlineMs`.
 * A deadline of 0 waits for ever. The timer is cleared as soon as the promise settles, so a read that
 * answers in time leaves nothing running; one that does not is no longer waited for, and its late
 * answer is dropped.
 */
export function withDeadline<T>(promise: Promise<T>, deadlineMs: number): Promise<T> {
  if (deadlineMs <= 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineExceeded(deadlineMs)), deadlineMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
