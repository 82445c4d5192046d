import { describe, expect, it } from "vitest";
import { exponentialBackoff } from "../../domain/core/backoff.ts";
import { backoffSeconds, verdictAfter } from "../../domain/relay/delivery.ts";
import { retryDelaySeconds } from "../../queues/capture/failure.ts";

describe("exponentialBackoff", () => {
  it("doubles from the base after each failed attempt up to the cap, then stays there", () => {
    const policy = { baseSeconds: 3, capSeconds: 100 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => exponentialBackoff(attempt, policy))).toEqual([
      3, 6, 12, 24, 48, 96, 100, 100,
    ]);
  });

  it("reaches the cap exactly when a doubling lands on it", () => {
    expect(
      [4, 5, 6].map((attempt) => exponentialBackoff(attempt, { baseSeconds: 5, capSeconds: 40 })),
    ).toEqual([40, 40, 40]);
  });

  it("counts attempts below 1 as the first and ignores a fraction of an attempt", () => {
    const policy = { baseSeconds: 2, capSeconds: 300 };
    expect([-3, 0, 1, 1.9, 2].map((attempt) => exponentialBackoff(attempt, policy))).toEqual([2, 2, 2, 2, 4]);
  });

  it("stays at the cap for attempt counts whose doubling overflows", () => {
    expect(exponentialBackoff(5_000, { baseSeconds: 30, capSeconds: 3600 })).toBe(3600);
  });

  it("waits whole seconds, rounding a fractional base", () => {
    const policy = { baseSeconds: 0.75, capSeconds: 300 };
    expect([1, 2, 3, 4].map((attempt) => exponentialBackoff(attempt, policy))).toEqual([1, 2, 3, 6]);
  });
});

describe("its users", () => {
  it("the queue consumers wait 2, 4, 8 … seconds by default, at most five minutes", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((attempts) => retryDelaySeconds(attempts, 2))).toEqual([
      2, 4, 8, 16, 32, 64, 128, 256, 300, 300,
    ]);
  });

  it("the relay's default policy waits 30 s doubling to an hour", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((attempt) => backoffSeconds(attempt))).toEqual([
      30, 60, 120, 240, 480, 960, 1920, 3600, 3600,
    ]);
  });

  it("the relay schedules whole seconds for a fractional base, as the queues always did", () => {
    // Before, the relay answered 1.5 here; the queues' copy rounded.
    expect(verdictAfter(1, false, { baseSeconds: 1.5, capSeconds: 60, maxAttempts: 5 })).toEqual({
      status: "pending",
      retryInSeconds: 2,
    });
    expect(backoffSeconds(2, { baseSeconds: 1.5, capSeconds: 60, maxAttempts: 5 })).toBe(3);
  });
});
