import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { BatchDate } from "../../domain/batches/dates.ts";
import { batchSettings } from "../../domain/batches/job.ts";
import { cohortSnapshotsJob } from "../../domain/batches/job-cohort-snapshots.ts";
import { runBatchJob } from "../../domain/batches/runner.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { ids, ok, withDb } from "../support/api.ts";
import { decode, placeOrder } from "../support/ledger.ts";
import { createSalesTenant, customerEmail, type SalesTenant } from "../support/sales.ts";

/*
 * The nightly `cohort-snapshots` job snapshots every daily cohort of every brand; other files' cohorts may be
 * daily too, so these tests read only their own cohorts' snapshots.
 */

const settings = batchSettings(dbConfig(env));
const run = (date: BatchDate) =>
  withDb((db) => runBatchJob(db, cohortSnapshotsJob, date, { settings, trigger: "manual" }));

/** Within the last 10 days of the run date's end: 2026-03-25 reaches back to 03-16, 2026-03-12 to 03-03. */
const recent = { op: "and", rules: [{ field: "last_order_at", op: "within_last_days", value: 10 }] };
const late = "2026-03-25";
const early = "2026-03-12";
const soap = [{ sku: "SOAP", unitPrice: 1_000 }];

let t: SalesTenant;
let daily: number;
let manualOnly: number;
let deleted: number;
let pia = 0;
let quinn = 0;
let quinnEmail = "";

const encodeId = (id: number) => ids.encode("cohort", id);

/** Every snapshot of the cohort with its members, in as_of order (taken_at apart). */
async function snapshotsOf(cohortId: number) {
  const result = await withDb((db) =>
    db.execute<{ id: string; as_of: string; source: string; member_count: number; members: number[] }>(sql`
      SELECT s.id, s.as_of::text AS as_of, s.source, s.member_count,
             COALESCE((SELECT array_agg(m.account_id ORDER BY m.account_id) FROM cohort_snapshot_members m
                        WHERE m.snapshot_id = s.id), '{}') AS members
        FROM cohort_snapshots s WHERE s.cohort_id = ${cohortId} ORDER BY s.as_of, s.id`),
  );
  return result.rows.map((row) => ({
    id: Number(row.id),
    asOf: row.as_of,
    source: row.source,
    memberCount: Number(row.member_count),
    members: row.members.map(Number),
  }));
}

/** When the snapshot was taken, in microseconds. */
const takenAt = async (snapshotId: number): Promise<number> =>
  (
    await withDb((db) =>
      db.execute<{ at: string }>(
        sql`SELECT (extract(epoch FROM taken_at) * 1000000)::bigint AS at FROM cohort_snapshots WHERE id = ${snapshotId}`,
      ),
    )
  ).rows.map((row) => Number(row.at))[0] ?? 0;

const order = async (email: string, at: string) =>
  decode("account", (await placeOrder(t, email, at, soap)).account.id);

beforeAll(async () => {
  t = await createSalesTenant();
  quinnEmail = customerEmail("quinn");
  pia = await order(customerEmail("pia"), "2026-03-20T10:00:00.000Z");
  quinn = await order(quinnEmail, "2026-03-05T10:00:00.000Z");
  const save = async (refresh: string) =>
    decode(
      "cohort",
      (
        await ok("POST", "/api/v1/cohorts", {
          key: t.key,
          body: { brand: t.brand.id, name: `Recent ${refresh}`, definition: recent, refresh },
        })
      ).id,
    );
  daily = await save("daily");
  manualOnly = await save("none");
  deleted = await save("daily");
  await ok("DELETE", `/api/v1/cohorts/${encodeId(deleted)}`, { key: t.key });
});

describe("the cohort-snapshots job", () => {
  it("snapshots each daily cohort for the run date, counting relative dates from the end of that date", async () => {
    expect(await run(late)).toMatchObject({ job: "cohort-snapshots", date: late, outcome: "succeeded" });
    expect(await run(early)).toMatchObject({ outcome: "succeeded" });
    const snapshots = await snapshotsOf(daily);
    expect(snapshots.map(({ id: _id, ...rest }) => rest)).toEqual([
      // No upper bound: an order after the date still counts (the data is today's).
      { asOf: early, source: "nightly", memberCount: 2, members: [pia, quinn] },
      { asOf: late, source: "nightly", memberCount: 1, members: [pia] },
    ]);
    // Not asked for daily, or deleted: no snapshot.
    expect(await snapshotsOf(manualOnly)).toEqual([]);
    expect(await snapshotsOf(deleted)).toEqual([]);
    // The API shows them, newest first.
    const listed = await ok("GET", `/api/v1/cohorts/${encodeId(daily)}/snapshots`, { key: t.key });
    expect(listed.data.map((s: { as_of: string; source: string }) => [s.as_of, s.source])).toEqual([
      [early, "nightly"],
      [late, "nightly"],
    ]);
  });

  it("run again for a date gives identical rows; after a change it replaces only that date's snapshot", async () => {
    const before = await snapshotsOf(daily);
    const lateId = before.find((s) => s.asOf === late)?.id ?? 0;
    const firstTaken = await takenAt(lateId);
    expect(await run(late)).toMatchObject({ outcome: "succeeded" });
    expect(await snapshotsOf(daily)).toEqual(before);
    // Only when it was taken moves on.
    expect(await takenAt(lateId)).toBeGreaterThan(firstTaken);

    // Quinn orders again on 03-22 and Rex for the first time on 03-23: both inside the late date's window
    // (and the early one's: a re-run of it would take them, but only the late date is run).
    await order(quinnEmail, "2026-03-22T10:00:00.000Z");
    const rex = await order(customerEmail("rex"), "2026-03-23T10:00:00.000Z");
    expect(await run(late)).toMatchObject({ outcome: "succeeded" });
    const after = await snapshotsOf(daily);
    expect(after).toEqual([
      before[0],
      { id: lateId, asOf: late, source: "nightly", memberCount: 3, members: [pia, quinn, rex] },
    ]);
    // And once more: still the same.
    expect(await run(late)).toMatchObject({ outcome: "succeeded" });
    expect(await snapshotsOf(daily)).toEqual(after);

    // A narrower definition: the re-run drops the members it no longer selects, in the same snapshot row.
    await ok("PATCH", `/api/v1/cohorts/${encodeId(daily)}`, {
      key: t.key,
      body: {
        definition: { op: "and", rules: [...recent.rules, { field: "order_count", op: "gte", value: 2 }] },
      },
    });
    expect(await run(late)).toMatchObject({ outcome: "succeeded" });
    expect(await snapshotsOf(daily)).toEqual([
      before[0],
      { id: lateId, asOf: late, source: "nightly", memberCount: 1, members: [quinn] },
    ]);
  });
});
