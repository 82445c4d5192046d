import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  addDays,
  dateRange,
  endOfDate,
  parseBatchDate,
  previousUtcDate,
  startOfDate,
} from "../../domain/batches/dates.ts";
import type { BatchJob } from "../../domain/batches/job.ts";
import { retentionCutoff } from "../../domain/batches/job-retention-cleanup.ts";
import {
  batchRegistry,
  cronTable,
  findJob,
  jobsForCron,
  nightlyJobs,
} from "../../domain/batches/registry.ts";
import { runChunks } from "../../domain/batches/runner.ts";
import { campaignDispatchCron } from "../../domain/campaigns/dispatch.ts";
import { expirableStates } from "../../domain/subscriptions/expiry.ts";

describe("run dates", () => {
  it("a scheduled run works on the previous UTC day", () => {
    expect(previousUtcDate(new Date("2026-12-01T00:10:00Z"))).toBe("2026-11-30");
    expect(previousUtcDate(new Date("2026-03-01T03:30:00Z"))).toBe("2026-02-28");
    expect(previousUtcDate(new Date("2024-03-01T00:00:00Z"))).toBe("2024-02-29");
    expect(previousUtcDate(new Date("2027-01-01T23:59:59.999Z"))).toBe("2026-12-31");
    // 00:30 in Seoul is still the previous day in UTC: the date is UTC's.
    expect(previousUtcDate(new Date("2026-12-01T00:30:00+09:00"))).toBe("2026-11-29");
  });

  it("a date starts and ends at midnight UTC", () => {
    expect(startOfDate("2026-11-30").toISOString()).toBe("2026-11-30T00:00:00.000Z");
    expect(endOfDate("2026-11-30").toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(endOfDate("2024-02-28").toISOString()).toBe("2024-02-29T00:00:00.000Z");
    expect(addDays("2026-01-01", -1)).toBe("2025-12-31");
  });

  it("takes only real calendar dates", () => {
    expect(parseBatchDate("2026-11-30")).toBe("2026-11-30");
    expect(parseBatchDate("2024-02-29")).toBe("2024-02-29");
    for (const bad of [
      "2026-02-29",
      "2026-13-01",
      "2026-11-31",
      "2026-1-01",
      "20261130",
      "2026-11-30T00:00Z",
      "",
    ])
      expect(parseBatchDate(bad)).toBeNull();
  });

  it("a range holds every date from one to the other, both included", () => {
    expect(dateRange("2026-12-30", "2027-01-02")).toEqual([
      "2026-12-30",
      "2026-12-31",
      "2027-01-01",
      "2027-01-02",
    ]);
    expect(dateRange("2026-11-30", "2026-11-30")).toEqual(["2026-11-30"]);
    expect(dateRange("2025-01-01", "2026-01-01")).toHaveLength(366);
    expect(() => dateRange("2026-11-30", "2026-11-29")).toThrow(
      "the range ends (2026-11-29) before it starts (2026-11-30)",
    );
    expect(() => dateRange("2025-01-01", "2026-01-02")).toThrow(
      "the range holds 367 days; at most 366 at once",
    );
  });

  it("retention counts whole days back from the end of the run date", () => {
    // At the end of 2026-12-01, 90 days back is 2026-09-03T00:00Z: anything logged before it is past retention.
    expect(retentionCutoff("2026-12-01", 90).toISOString()).toBe("2026-09-03T00:00:00.000Z");
    expect(retentionCutoff("2026-12-01", 1).toISOString()).toBe("2026-12-01T00:00:00.000Z");
  });
});

const job = (name: string, cron: string): BatchJob => ({
  name,
  summary: name,
  cron,
  chunkSize: 10,
  chunk: async () => ({ rows: 0, done: true }),
});

describe("the registry", () => {
  it("maps each cron to the jobs it runs", () => {
    expect(cronTable(nightlyJobs)).toEqual({
      "10 0 * * *": ["subscription-expiry"],
      "0 2 * * *": ["acquisition-classification"],
      "30 2 * * *": ["daily-revenue", "ltv-by-acquisition-month"],
      "0 3 * * *": ["rfm-scores"],
      "30 3 * * *": ["cohort-snapshots", "retention-cleanup"],
      "0 4 * * *": ["message-funnel", "experiment-evaluation"],
    });
    expect(jobsForCron(nightlyJobs, "10 0 * * *").map((found) => found.name)).toEqual([
      "subscription-expiry",
    ]);
    expect(jobsForCron(nightlyJobs, "* * * * *")).toEqual([]);
    expect(findJob(nightlyJobs, "retention-cleanup")?.chunkSize).toBe(5000);
    expect(findJob(nightlyJobs, "rfm")).toBeUndefined();
    expect(findJob(nightlyJobs, "rfm-scores")?.chunkSize).toBe(5_000_000);
    const shared = batchRegistry([job("a", "0 1 * * *"), job("b", "0 2 * * *"), job("c", "0 1 * * *")]);
    expect(cronTable(shared)).toEqual({ "0 1 * * *": ["a", "c"], "0 2 * * *": ["b"] });
  });

  it("wrangler.toml triggers exactly the crons the jobs use", () => {
    const toml = readFileSync(path.resolve(import.meta.dirname, "../../wrangler.toml"), "utf8");
    const section = /^\[triggers\]\s*\ncrons\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
    const crons = [...section.matchAll(/"([^"]+)"/g)].map((match) => match[1]);
    // Beside the nightly jobs, the per-minute campaign dispatcher (domain/campaigns/dispatch.ts).
    expect(crons.sort()).toEqual([campaignDispatchCron, ...Object.keys(cronTable(nightlyJobs))].sort());
  });

  it("refuses two jobs of one name and names that are not kebab-case", () => {
    expect(() => batchRegistry([job("a", "0 1 * * *"), job("a", "0 2 * * *")])).toThrow(
      "two batch jobs are named a",
    );
    expect(() => batchRegistry([job("Expiry", "0 1 * * *")])).toThrow(
      'batch job name "Expiry" is not kebab-case',
    );
  });

  it("expires the states the transition table lets expire", () => {
    expect(expirableStates).toEqual(["active", "suspended"]);
  });
});

describe("the chunk loop", () => {
  /** A job's step over `total` rows: each call takes at most `limit` of what is left. */
  const over = (total: number) => {
    let left = total;
    const limits: number[] = [];
    const step = async (limit: number) => {
      limits.push(limit);
      const rows = Math.min(limit, left);
      left -= rows;
      return { rows, done: rows < limit };
    };
    return { step, limits };
  };

  it("calls the step until it is done, adding up its rows", async () => {
    const five = over(5);
    expect(await runChunks(five.step, 2)).toEqual({ rows: 5, chunks: 3 });
    expect(five.limits).toEqual([2, 2, 2]);
    // A full last chunk cannot know it was the last: one more, empty, chunk says so.
    const four = over(4);
    expect(await runChunks(four.step, 2)).toEqual({ rows: 4, chunks: 3 });
    expect(await runChunks(over(0).step, 1000)).toEqual({ rows: 0, chunks: 1 });
    expect(await runChunks(over(3).step, 1000)).toEqual({ rows: 3, chunks: 1 });
  });

  it("refuses a chunk over its limit, a bad size, and a job that never finishes", async () => {
    await expect(runChunks(async () => ({ rows: 3, done: true }), 2)).rejects.toThrow(
      "a chunk changed 3 rows, more than its limit of 2",
    );
    await expect(runChunks(over(1).step, 0)).rejects.toThrow("chunk size must be a positive integer, not 0");
    await expect(runChunks(async () => ({ rows: 1, done: false }), 5, 4)).rejects.toThrow(
      "stopped after 4 chunks without the job saying it was done",
    );
  });
});
