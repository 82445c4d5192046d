/**
 * The provider's rate (MESSAGING_PROVIDER_RATE_PER_SECOND) as a pacer: before each request of `count`
 * messages, wait until the messages handed over in the last second plus `count` fit the rate. A sliding
 * one-second window over what was actually sent, not a token bucket with a burst: no window of one second
 * ever holds more than the rate, whatever the request sizes. Clock and sleep are injected, so tests watch the
 * waits without waiting.
 */

export interface PacerClock {
  /** Milliseconds, e.g. `Date.now`. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const windowMs = 1000;

export class SendPacer {
  private readonly sent: { at: number; count: number }[] = [];

  constructor(
    readonly ratePerSecond: number,
    private readonly clock: PacerClock = realClock,
  ) {
    if (!Number.isInteger(ratePerSecond) || ratePerSecond < 1)
      throw new RangeError("ratePerSecond: a positive integer");
  }

  /** The largest request the pacer lets through at once. */
  get maxRequest(): number {
    return this.ratePerSecond;
  }

  /**
   * Waits until `count` more messages fit the last second, then records them as sent now. Returns the
   * milliseconds waited.
   */
  async take(count: number): Promise<number> {
    if (!Number.isInteger(count) || count < 1 || count > this.ratePerSecond)
      throw new RangeError(`count: 1 to ${this.ratePerSecond}, got ${count}`);
    let waited = 0;
    for (;;) {
      const now = this.clock.now();
      while (this.sent.length > 0 && (this.sent[0]?.at ?? now) <= now - windowMs) this.sent.shift();
      let inWindow = 0;
      for (const entry of this.sent) inWindow += entry.count;
      if (inWindow + count <= this.ratePerSecond) {
        this.sent.push({ at: now, count });
        return waited;
      }
      // The oldest entries leave the window first: wait until enough of them have.
      let excess = inWindow + count - this.ratePerSecond;
      let until = now;
      for (const entry of this.sent) {
        excess -= entry.count;
        until = entry.at + windowMs;
        if (excess <= 0) break;
      }
      const wait = Math.max(1, until - now);
      await this.clock.sleep(wait);
      waited += wait;
    }
  }
}

const shared = new Map<number, SendPacer>();

/**
 * The isolate's pacer for a rate: the sends queue runs one consumer at a time (`max_concurrency = 1`), so
 * successive batches in one isolate share the window. A batch in a fresh isolate starts with an empty one.
 */
export function sharedPacer(ratePerSecond: number): SendPacer {
  let pacer = shared.get(ratePerSecond);
  if (!pacer) {
    pacer = new SendPacer(ratePerSecond);
    shared.set(ratePerSecond, pacer);
  }
  return pacer;
}
