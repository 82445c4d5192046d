import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { accountRfm } from "../../db/schema/rfm.ts";
import { cohortMemberExport } from "../../domain/cohorts/cohorts.ts";
import { call, expectProblem, ids, ok, withDb } from "../support/api.ts";
import { decode, placeOrder } from "../support/ledger.ts";
import { createSalesTenant, type SalesTenant } from "../support/sales.ts";

/** Cohort snapshots (frozen membership), their diff, and R × F cells as cohorts. */

const unique = () => crypto.randomUUID().slice(0, 8);
const email = (label: string) => `${label}.${unique()}@example.com`;
const lines = (label: string, unitPrice = 10_000) => [{ sku: label, unitPrice }];

/** At most one order: the cohort the snapshot tests watch. */
const oneOrder = { op: "and", rules: [{ field: "order_count", op: "lte", value: 1 }] };

describe("cohort snapshots", () => {
  let t: SalesTenant;
  let other: SalesTenant;
  const who: Record<string, { email: string; account: string }> = {};
  let cohort: { id: string };
  let first: { id: string };

  const memberIds = (page: { data: { id: string }[] }) => page.data.map((member) => member.id);

  beforeAll(async () => {
    t = await createSalesTenant();
    other = await createSalesTenant();
    for (const [label, at] of [
      ["ann", "2026-04-01T09:00:00.000Z"],
      ["ben", "2026-04-02T09:00:00.000Z"],
      ["cat", "2026-04-03T09:00:00.000Z"],
    ] as const) {
      const address = email(label);
      who[label] = { email: address, account: (await placeOrder(t, address, at, lines("SOAP"))).account.id };
    }
    // Ann has two orders: not in the cohort.
    await placeOrder(t, who.ann?.email ?? "", "2026-04-05T09:00:00.000Z", lines("SOAP"));
    cohort = await ok("POST", "/api/v1/cohorts", {
      key: t.key,
      body: { brand: t.brand.id, name: "One-time buyers", definition: oneOrder },
    });
  });

  const path = () => `/api/v1/cohorts/${cohort.id}`;
  const account = (label: string) => who[label]?.account ?? "";

  it("freezes the members: later orders change the live members, never the snapshot's", async () => {
    const response = await call("POST", `${path()}/snapshots`, { key: t.key });
    expect(response.status, response.text).toBe(201);
    first = response.body;
    expect(first).toEqual({
      id: first.id,
      cohort: cohort.id,
      source: "manual",
      as_of: null,
      taken_at: response.body.taken_at,
      member_count: 2,
    });
    expect(response.headers.get("location")).toBe(`${path()}/snapshots/${first.id}/members`);
    const frozen = await ok("GET", `${path()}/snapshots/${first.id}/members`, { key: t.key });
    expect(memberIds(frozen)).toEqual([account("ben"), account("cat")]);

    // Ben orders again (he leaves the cohort), Dan orders for the first time (he joins).
    await placeOrder(t, who.ben?.email ?? "", "2026-04-10T09:00:00.000Z", lines("SOAP"));
    const dan = email("dan");
    who.dan = {
      email: dan,
      account: (await placeOrder(t, dan, "2026-04-11T09:00:00.000Z", lines("SOAP"))).account.id,
    };

    const live = await ok("GET", `${path()}/members`, { key: t.key });
    expect(memberIds(live)).toEqual([account("cat"), account("dan")]);
    const still = await ok("GET", `${path()}/snapshots/${first.id}/members`, { key: t.key });
    expect(memberIds(still)).toEqual([account("ben"), account("cat")]);
    // The member's details are today's: Ben's two orders show.
    expect(still.data[0]).toMatchObject({ email: who.ben?.email, order_count: 2, total_spent: 20_000 });
    const stored = await withDb((db) =>
      db.execute<{ n: string }>(
        sql`SELECT count(*) AS n FROM cohort_snapshot_members WHERE snapshot_id = ${decode("cohortSnapshot", first.id)}`,
      ),
    );
    expect(Number(stored.rows[0]?.n)).toBe(2);
  });

  it("pages snapshot members and lists snapshots newest first", async () => {
    const page = await ok("GET", `${path()}/snapshots/${first.id}/members?limit=1`, { key: t.key });
    expect(memberIds(page)).toEqual([account("ben")]);
    expect(page.next_cursor).toBe(account("ben"));
    const rest = await ok(
      "GET",
      `${path()}/snapshots/${first.id}/members?limit=1&cursor=${page.next_cursor}`,
      {
        key: t.key,
      },
    );
    expect(rest).toMatchObject({ next_cursor: null });
    expect(memberIds(rest)).toEqual([account("cat")]);

    const second = await ok("POST", `${path()}/snapshots`, { key: t.key });
    expect(second.member_count).toBe(2);
    const listed = await ok("GET", `${path()}/snapshots`, { key: t.key });
    expect(listed).toEqual({ data: [second, first], next_cursor: null });
    const paged = await ok("GET", `${path()}/snapshots?limit=1`, { key: t.key });
    expect(paged).toEqual({ data: [second], next_cursor: second.id });
    expect(await ok("GET", `${path()}/snapshots?limit=1&cursor=${second.id}`, { key: t.key })).toEqual({
      data: [first],
      next_cursor: null,
    });
  });

  it("diffs two snapshots: joined (in B, not A) and left (in A, not B), paged", async () => {
    const later = await ok("POST", `${path()}/snapshots`, { key: t.key });
    const diffPath = `${path()}/snapshots/diff?from=${first.id}&to=${later.id}`;
    const joined = await ok("GET", diffPath, { key: t.key });
    expect(joined).toEqual({
      from: first,
      to: later,
      joined: 1,
      left: 1,
      change: "joined",
      data: [expect.objectContaining({ id: account("dan"), email: who.dan?.email })],
      next_cursor: null,
    });
    const left = await ok("GET", `${diffPath}&change=left`, { key: t.key });
    expect(left).toMatchObject({ joined: 1, left: 1, change: "left", next_cursor: null });
    expect(memberIds(left)).toEqual([account("ben")]);
    // Reversed, the sides swap; a snapshot against itself changed nothing.
    const back = await ok("GET", `${path()}/snapshots/diff?from=${later.id}&to=${first.id}`, { key: t.key });
    expect(back).toMatchObject({ joined: 1, left: 1 });
    expect(memberIds(back)).toEqual([account("ben")]);
    const same = await ok("GET", `${path()}/snapshots/diff?from=${first.id}&to=${first.id}`, { key: t.key });
    expect(same).toMatchObject({ joined: 0, left: 0, data: [], next_cursor: null });
  });

  it("pages a diff side by account", async () => {
    // A cohort of everyone: from an empty snapshot to one of all four, everyone joined.
    const all = await ok("POST", "/api/v1/cohorts", {
      key: t.key,
      body: {
        brand: t.brand.id,
        name: "Everyone",
        definition: { op: "and", rules: [{ field: "order_count", op: "gte", value: 1 }] },
      },
    });
    const before = await ok("PATCH", `/api/v1/cohorts/${all.id}`, {
      key: t.key,
      body: { definition: { op: "and", rules: [{ field: "order_count", op: "gte", value: 100 }] } },
    });
    expect(before.member_count).toBe(0);
    const empty = await ok("POST", `/api/v1/cohorts/${all.id}/snapshots`, { key: t.key });
    await ok("PATCH", `/api/v1/cohorts/${all.id}`, {
      key: t.key,
      body: { definition: { op: "and", rules: [{ field: "order_count", op: "gte", value: 1 }] } },
    });
    const full = await ok("POST", `/api/v1/cohorts/${all.id}/snapshots`, { key: t.key });
    expect([empty.member_count, full.member_count]).toEqual([0, 4]);
    const diff = `/api/v1/cohorts/${all.id}/snapshots/diff?from=${empty.id}&to=${full.id}&limit=3`;
    const page1 = await ok("GET", diff, { key: t.key });
    expect(page1).toMatchObject({ joined: 4, left: 0, next_cursor: account("cat") });
    expect(memberIds(page1)).toEqual([account("ann"), account("ben"), account("cat")]);
    const page2 = await ok("GET", `${diff}&cursor=${page1.next_cursor}`, { key: t.key });
    expect(page2).toMatchObject({ joined: 4, left: 0, next_cursor: null });
    expect(memberIds(page2)).toEqual([account("dan")]);
  });

  it("is a 422 naming from or to when it is not a snapshot of this cohort, 403 and 404 as the cohort's", async () => {
    const otherCohort = await ok("POST", "/api/v1/cohorts", {
      key: t.key,
      body: { brand: t.brand.id, name: "Other", definition: oneOrder },
    });
    const foreign = await ok("POST", `/api/v1/cohorts/${otherCohort.id}/snapshots`, { key: t.key });
    expectProblem(
      await call("GET", `${path()}/snapshots/diff?from=nope&to=${foreign.id}`, { key: t.key }),
      422,
      [
        { field: "from", category: "malformed" },
        { field: "to", category: "not_found" },
      ],
    );
    expectProblem(await call("GET", `${path()}/snapshots/diff?from=${first.id}`, { key: t.key }), 422, [
      { field: "to", category: "missing" },
    ]);
    expectProblem(
      await call("GET", `${path()}/snapshots/diff?from=${first.id}&to=${first.id}&change=stayed`, {
        key: t.key,
      }),
      422,
      [{ field: "change", category: "not_allowed" }],
    );
    expectProblem(await call("GET", `${path()}/snapshots/${foreign.id}/members`, { key: t.key }), 404);
    expectProblem(await call("GET", `${path()}/snapshots/${first.id}/members`, { key: other.key }), 403);
    expectProblem(
      await call("GET", `${path()}/snapshots/diff?from=${first.id}&to=${first.id}`, { key: other.key }),
      403,
    );
  });
});

describe("the member export", () => {
  it("reads page after page, never more than a page at a time", async () => {
    const t = await createSalesTenant();
    const made: string[] = [];
    for (const label of ["p", "q", "r"])
      made.push((await placeOrder(t, email(label), "2026-04-01T09:00:00.000Z", lines("SOAP"))).account.id);
    const cohort = await ok("POST", "/api/v1/cohorts", {
      key: t.key,
      body: { brand: t.brand.id, name: "All", definition: oneOrder },
    });
    const pages = await withDb(async (db) => {
      const principal = { apiKeyId: 0, brandIds: [t.brand.internal], isAdmin: false };
      const generator = await cohortMemberExport({
        ctx: { db, principal, ids },
        input: { id: decode("cohort", cohort.id), after: null, pageSize: 2 },
      });
      const seen: string[][] = [];
      for await (const page of generator) seen.push(page.map((m) => ids.encode("account", m.accountId)));
      return seen;
    });
    expect(pages).toEqual([made.slice(0, 2), made.slice(2)]);
  });
});

describe("POST /api/v1/rfm/cells/cohort", () => {
  let t: SalesTenant;
  let other: SalesTenant;
  const accountIds: number[] = [];

  beforeAll(async () => {
    t = await createSalesTenant();
    other = await createSalesTenant();
    for (const label of ["a", "b", "c", "d"])
      accountIds.push(
        decode(
          "account",
          (await placeOrder(t, email(label), "2026-04-01T09:00:00.000Z", lines("SOAP"))).account.id,
        ),
      );
    const elsewhere = decode(
      "account",
      (await placeOrder(other, email("e"), "2026-04-01T09:00:00.000Z", lines("SOAP"))).account.id,
    );
    const score = (accountId: number, brandId: number, r: number, f: number) => ({
      accountId,
      brandId,
      currency: "KRW",
      asOf: "2026-04-30",
      recencyDays: 29,
      frequency: 1,
      monetary: 10_000,
      r,
      f,
      m: 3,
      segment: "need_attention" as const,
      computedAt: new Date("2026-05-01T00:00:00.000Z"),
    });
    // a and c are in the cell (5, 2); b has r = 5 only, d f = 2 only; another brand's account is in it too.
    await withDb((db) =>
      db
        .insert(accountRfm)
        .values([
          score(accountIds[0] ?? 0, t.brand.internal, 5, 2),
          score(accountIds[1] ?? 0, t.brand.internal, 5, 3),
          score(accountIds[2] ?? 0, t.brand.internal, 5, 2),
          score(accountIds[3] ?? 0, t.brand.internal, 4, 2),
          score(elsewhere, other.brand.internal, 5, 2),
        ]),
    );
  });

  it("saves the cell as a cohort whose members are the brand's accounts with that r and f", async () => {
    const response = await call("POST", "/api/v1/rfm/cells/cohort", {
      key: t.key,
      body: { brand: t.brand.id, r: 5, f: 2 },
    });
    expect(response.status, response.text).toBe(201);
    const body = response.body;
    expect(response.headers.get("location")).toBe(`/api/v1/cohorts/${body.id}`);
    expect(body).toEqual({
      id: body.id,
      brand: t.brand.id,
      name: "RFM R5 F2",
      definition: {
        op: "and",
        rules: [
          { field: "brand", op: "equals", value: t.brand.id },
          { field: "r_score", op: "equals", value: 5 },
          { field: "f_score", op: "equals", value: 2 },
        ],
      },
      refresh: "none",
      member_count: 2,
      created_at: body.created_at,
      updated_at: body.created_at,
    });
    const inCell = await withDb((db) =>
      db.execute<{ account_id: string }>(
        sql`SELECT account_id FROM account_rfm WHERE brand_id = ${t.brand.internal} AND r = 5 AND f = 2 ORDER BY account_id`,
      ),
    );
    const expected = inCell.rows.map((row) => ids.encode("account", Number(row.account_id)));
    expect(expected).toEqual([accountIds[0], accountIds[2]].map((id) => ids.encode("account", id ?? 0)));
    const members = await ok("GET", `/api/v1/cohorts/${body.id}/members`, { key: t.key });
    expect(members.data.map((member: { id: string }) => member.id)).toEqual(expected);

    const named = await ok("POST", "/api/v1/rfm/cells/cohort", {
      key: t.key,
      body: { brand: t.brand.id, r: 4, f: 2, name: "Almost champions", refresh: "daily" },
    });
    expect(named).toMatchObject({ name: "Almost champions", refresh: "daily", member_count: 1 });
  });

  it("is a 422 for a score outside 1–5 or a bad brand, a 403 for another brand", async () => {
    expectProblem(
      await call("POST", "/api/v1/rfm/cells/cohort", { key: t.key, body: { brand: t.brand.id, r: 6, f: 0 } }),
      422,
      [
        { field: "r", category: "out_of_range" },
        { field: "f", category: "out_of_range" },
      ],
    );
    expectProblem(
      await call("POST", "/api/v1/rfm/cells/cohort", { key: t.key, body: { brand: "x", r: 1, f: 1 } }),
      422,
      [{ field: "brand", category: "malformed" }],
    );
    expectProblem(
      await call("POST", "/api/v1/rfm/cells/cohort", {
        key: other.key,
        body: { brand: t.brand.id, r: 5, f: 2 },
      }),
      403,
    );
  });
});
