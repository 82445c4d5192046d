import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DeadlineExceeded, withDeadline } from "../../workers/edge/deadline.ts";

describe("withDeadline", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const later = <T>(ms: number, value: T) =>
    new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

  it("passes through a value that arrives before the deadline and leaves no timer behind", async () => {
    const result = withDeadline(later(40, "landing"), 50);
    await vi.advanceTimersByTimeAsync(40);
    await expect(result).resolves.toBe("landing");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("passes through a rejection that arrives before the deadline, unchanged", async () => {
    const failure = new Error("KV is down");
    const result = withDeadline(Promise.reject(failure), 50);
    await expect(result).rejects.toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects with DeadlineExceeded when nothing arrives within the deadline", async () => {
    const result = withDeadline(new Promise<string>(() => {}), 50);
    const seen = result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(49);
    let settled = false;
    void result.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await seen;
    expect(error).toBeInstanceOf(DeadlineExceeded);
    expect(error).toMatchObject({
      name: "DeadlineExceeded",
      deadlineMs: 50,
      message: "no answer within 50 ms",
    });
  });

  it("ignores a value that arrives after the deadline", async () => {
    const result = withDeadline(later(80, "late"), 50);
    const seen = result.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    expect(await seen).toBeInstanceOf(DeadlineExceeded);
  });

  it("waits for ever with a deadline of 0: the promise itself, no timer", async () => {
    const pending = later(10_000, "slow");
    expect(withDeadline(pending, 0)).toBe(pending);
    expect(vi.getTimerCount()).toBe(1);
  });
});
