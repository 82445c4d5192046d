import { describe, expect, it } from "vitest";
import { mapBounded } from "../../queues/relay/handler.ts";
import { relayConcurrency } from "../../queues/relay/limits.ts";

describe("relay sends", () => {
  it("stay within the six connections a Worker invocation lets wait for headers at once", () => {
    expect(relayConcurrency).toBeLessThanOrEqual(6);
  });

  it("run at most `limit` at once, start the next as one ends, and keep the items' order", async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    const gates = new Map<number, () => void>();
    const run = mapBounded([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], relayConcurrency, async (item) => {
      started.push(item);
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => gates.set(item, resolve));
      inFlight -= 1;
      return item * 10;
    });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    // Finishing out of order frees a lane each time.
    for (const item of [3, 0, 5, 4, 1, 2, 6, 7, 8, 9]) {
      gates.get(item)?.();
      await settle();
    }
    expect(await run).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).toBe(relayConcurrency);
  });

  it("runs nothing for no items and never more lanes than items", async () => {
    expect(await mapBounded([], 5, async () => 1)).toEqual([]);
    let calls = 0;
    expect(await mapBounded([1, 2], 5, async (n) => (calls += n))).toEqual([1, 3]);
  });
});
