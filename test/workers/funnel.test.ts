import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { presentEvaluation } from "../../api/schemas/funnel.ts";
import type { BatchDate } from "../../domain/batches/dates.ts";
import { batchSettings } from "../../domain/batches/job.ts";
import { experimentEvaluationJob } from "../../domain/batches/job-experiment-evaluation.ts";
import { messageFunnelJob } from "../../domain/batches/job-message-funnel.ts";
import { runBatchJob } from "../../domain/batches/runner.ts";
import { evaluate } from "../../domain/experiments/statistics.ts";
import { jsonSafe } from "../../domain/funnel/experiment-results.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { call, expectProblem, ids, insertApiKey, ok, withDb } from "../support/api.ts";
import { hoursAfter as at, type SeededCampaign, seedCampaign } from "../support/funnel.ts";

/*
 * One hand-built campaign (control, variant, holdout) with every stage's edge cases, counted live by the API
 * and as of the end of two run dates by the nightly jobs. The jobs count every live campaign of the database;
 * these tests read only their own campaign's rows.
 */

const launch = new Date("2026-11-01T00:00:00.000Z");
const settings = batchSettings(dbConfig(env));
const design = {
  alpha: 0.05,
  power: 0.8,
  baselineRate: 0.1,
  targetRate: 0.15,
  analysis: "sequential" as const,
};
const arms = [
  { name: "control", role: "control" as const, weight: 45, from: 0, to: 4500 },
  { name: "variant", role: "variant" as const, weight: 45, from: 4500, to: 9000 },
  { name: "holdout", role: "holdout" as const, weight: 10, from: 9000, to: 10000 },
];

let seeded: SeededCampaign;

beforeAll(async () => {
  const delivered = (finalHours: number) => ({
    status: "delivered" as const,
    sentAt: at(launch, 1),
    finalAt: at(launch, finalHours),
  });
  seeded = await seedCampaign({
    launchedAt: launch,
    arms,
    experiment: design,
    customers: [
      // c1: every stage: a person clicks, visits the landing with the token, buys on day one.
      {
        arm: 0,
        send: delivered(1.1),
        clicks: [{ at: at(launch, 2), bot: false }],
        visits: [at(launch, 3)],
        orders: [{ placedAt: at(launch, 20) }],
      },
      // c2: only KakaoTalk's link preview fetched the link: opened, not clicked.
      { arm: 0, send: delivered(1.1), clicks: [{ at: at(launch, 1.2), bot: true }] },
      // c3: accepted, never delivered; a cart on day two; its only order was cancelled.
      {
        arm: 0,
        send: { status: "accepted", sentAt: at(launch, 1) },
        carts: [at(launch, 30)],
        orders: [{ placedAt: at(launch, 10), cancelledAt: at(launch, 12) }],
      },
      // c4: refused by the gate; bought after the 7-day window.
      { arm: 0, send: { status: "refused" }, orders: [{ placedAt: at(launch, 8 * 24) }] },
      // c5: failed at the carrier (sent all the same); a capture with its token before it was sent.
      {
        arm: 0,
        send: { status: "failed", sentAt: at(launch, 1), finalAt: at(launch, 2) },
        visits: [at(launch, 0.5)],
      },
      // v1: delivered on day two, a preview and (day two) a person, two orders counted once. Its token
      // reached two captures after the send that are no visit: a bot's, and one of another brand's landing.
      {
        arm: 1,
        send: delivered(26),
        clicks: [
          { at: at(launch, 1.5), bot: true },
          { at: at(launch, 27), bot: false },
        ],
        visits: [
          { at: at(launch, 27.5), outcome: "bot" },
          { at: at(launch, 28), brand: "other" },
        ],
        orders: [{ placedAt: at(launch, 40) }, { placedAt: at(launch, 72) }],
      },
      // v2: pending; a cart abandoned before the launch.
      { arm: 1, send: { status: "pending", sentAt: at(launch, 1) }, carts: [at(launch, -24)] },
      // v3: still queued.
      { arm: 1, send: { status: "queued" } },
      // The holdout: no sends; one buys on day two, one leaves a cart on day one.
      { arm: 2, orders: [{ placedAt: at(launch, 25) }] },
      { arm: 2, carts: [at(launch, 5)] },
      { arm: 2 },
    ],
  });
});

const stages = (
  targeted: number,
  sent: number,
  delivered: number,
  opened: number,
  clicked: number,
  visited: number,
  carted: number,
  purchased: number,
) => ({ targeted, sent, delivered, opened, clicked, visited, carted, purchased });

const rates = (counts: ReturnType<typeof stages>) =>
  Object.fromEntries(Object.entries(counts).map(([stage, value]) => [stage, value / counts.targeted]));

const live = {
  control: stages(5, 4, 2, 2, 1, 1, 2, 1),
  variant: stages(3, 2, 1, 1, 1, 0, 1, 1),
  holdout: stages(3, 0, 0, 0, 0, 0, 2, 1),
};
const dayOne = {
  control: stages(5, 4, 2, 2, 1, 1, 1, 1),
  variant: stages(3, 2, 0, 1, 0, 0, 0, 0),
  holdout: stages(3, 0, 0, 0, 0, 0, 1, 0),
};

const campaignRef = () => ids.encode("messageCampaign", seeded.campaignId);
const experimentRef = () => ids.encode("experiment", seeded.experimentId ?? 0);
const runJob = (job: typeof messageFunnelJob, date: BatchDate) =>
  withDb((db) => runBatchJob(db, job, date, { settings, trigger: "manual" }));

async function funnelRows() {
  const result = await withDb((db) =>
    db.execute<Record<string, number | string>>(sql`
      SELECT as_of::text AS as_of, arm, targeted, sent, delivered, opened, clicked, visited, carted, purchased,
             computed_at::text AS computed_at
        FROM message_funnel_daily WHERE message_campaign_id = ${seeded.campaignId} ORDER BY as_of, arm`),
  );
  return result.rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, k === "as_of" || k === "computed_at" ? v : Number(v)]),
    ),
  );
}

describe("GET /api/v1/campaigns/{id}/funnel", () => {
  it("counts the eight stages per arm live, with rates of targeted and totals", async () => {
    const body = await ok("GET", `/api/v1/campaigns/${campaignRef()}/funnel`);
    expect(body.campaign).toBe(campaignRef());
    expect(body.status).toBe("running");
    expect(body.launched_at).toBe(launch.toISOString());
    expect(body.goal_window_days).toBe(7);
    expect(body.arms).toEqual([
      { arm: "control", position: 0, role: "control", ...live.control, rates: rates(live.control) },
      { arm: "variant", position: 1, role: "variant", ...live.variant, rates: rates(live.variant) },
      { arm: "holdout", position: 2, role: "holdout", ...live.holdout, rates: rates(live.holdout) },
    ]);
    const totals = stages(11, 6, 3, 3, 2, 1, 5, 3);
    expect(body.totals).toEqual({ ...totals, rates: rates(totals) });
  });

  it("is 404 for an id that is not a campaign's, 403 for a key of another brand", async () => {
    expectProblem(
      await call("GET", `/api/v1/campaigns/${ids.encode("cohort", seeded.campaignId)}/funnel`),
      404,
    );
    expectProblem(
      await call("GET", `/api/v1/campaigns/${ids.encode("messageCampaign", 2 ** 40)}/funnel`),
      404,
    );
    const other = await insertApiKey({ brandIds: [seeded.tenant.brand.internal + 1_000_000] });
    expectProblem(await call("GET", `/api/v1/campaigns/${campaignRef()}/funnel`, { key: other.key }), 403);
    expect(
      (await call("GET", `/api/v1/campaigns/${campaignRef()}/funnel`, { key: seeded.tenant.key })).status,
    ).toBe(200);
  });
});

describe("the nightly message-funnel job", () => {
  it("writes each arm's stages as of the end of the date, and nothing more on a re-run", async () => {
    const first = await runJob(messageFunnelJob, "2026-11-01");
    expect(first.outcome, first.error ?? "").toBe("succeeded");
    expect(await runJob(messageFunnelJob, "2026-11-02")).toMatchObject({ outcome: "succeeded" });
    const rows = await funnelRows();
    const expected = [
      { as_of: "2026-11-01", arm: 0, ...dayOne.control },
      { as_of: "2026-11-01", arm: 1, ...dayOne.variant },
      { as_of: "2026-11-01", arm: 2, ...dayOne.holdout },
      { as_of: "2026-11-02", arm: 0, ...live.control },
      { as_of: "2026-11-02", arm: 1, ...live.variant },
      { as_of: "2026-11-02", arm: 2, ...live.holdout },
    ];
    expect(rows.map(({ computed_at: _c, ...row }) => row)).toEqual(expected);
    const again = await runJob(messageFunnelJob, "2026-11-01");
    expect(again.outcome).toBe("succeeded");
    expect(await funnelRows()).toEqual(rows);

    // The API answers the stored series, oldest first.
    const body = await ok("GET", `/api/v1/campaigns/${campaignRef()}/funnel`);
    expect(body.series.map((day: { as_of: string; arms: unknown[] }) => [day.as_of, day.arms])).toEqual([
      [
        "2026-11-01",
        [
          { arm: "control", position: 0, ...dayOne.control },
          { arm: "variant", position: 1, ...dayOne.variant },
          { arm: "holdout", position: 2, ...dayOne.holdout },
        ],
      ],
      [
        "2026-11-02",
        [
          { arm: "control", position: 0, ...live.control },
          { arm: "variant", position: 1, ...live.variant },
          { arm: "holdout", position: 2, ...live.holdout },
        ],
      ],
    ]);
  });

  it("skips campaigns completed before the date once their goal window closed", async () => {
    const done = await seedCampaign({
      launchedAt: launch,
      status: "completed",
      completedAt: at(launch, 24 * 7),
      arms,
      customers: [{ arm: 0, send: { status: "delivered", sentAt: at(launch, 1), finalAt: at(launch, 2) } }],
    });
    expect(await runJob(messageFunnelJob, "2026-11-07")).toMatchObject({ outcome: "succeeded" });
    expect(await runJob(messageFunnelJob, "2026-11-08")).toMatchObject({ outcome: "succeeded" });
    const days = await withDb((db) =>
      db.execute<{ as_of: string }>(sql`
        SELECT DISTINCT as_of::text AS as_of FROM message_funnel_daily WHERE message_campaign_id = ${done.campaignId}`),
    );
    expect(days.rows.map((row) => row.as_of)).toEqual(["2026-11-07"]);
  });
});

describe("experiment results and the nightly experiment-evaluation job", () => {
  const countsOf = (control: [number, number], variant: [number, number], holdout: [number, number]) => ({
    control: { n: control[0], conversions: control[1] },
    variant: { n: variant[0], conversions: variant[1] },
    holdout: { n: holdout[0], conversions: holdout[1] },
  });
  const lookOne = countsOf([5, 1], [3, 0], [3, 0]);
  const lookTwo = countsOf([5, 1], [3, 1], [3, 1]);
  const experimentDesign = {
    ...design,
    arms: arms.map(({ name, role, weight }) => ({ name, role, weight })),
  };

  async function storedCounts() {
    const result = await withDb((db) =>
      db.execute<{ as_of: string; arm: number; n: number; conversions: number }>(sql`
        SELECT as_of::text AS as_of, arm, n, conversions FROM experiment_daily_counts
         WHERE experiment_id = ${seeded.experimentId} ORDER BY as_of, arm`),
    );
    return result.rows.map((row) => ({ ...row, arm: Number(row.arm) }));
  }

  async function storedEvaluations() {
    const result = await withDb((db) =>
      db.execute<{ as_of: string; verdict: string; result: unknown; computed_at: string }>(sql`
        SELECT as_of::text AS as_of, verdict, result, computed_at::text AS computed_at FROM experiment_evaluations
         WHERE experiment_id = ${seeded.experimentId} ORDER BY as_of`),
    );
    return result.rows;
  }

  it("stores each date's counts and evaluation with the earlier looks, the same on a re-run", async () => {
    expect(await runJob(experimentEvaluationJob, "2026-11-01")).toMatchObject({ outcome: "succeeded" });
    expect(await runJob(experimentEvaluationJob, "2026-11-02")).toMatchObject({ outcome: "succeeded" });
    const counts = await storedCounts();
    expect(counts).toEqual([
      { as_of: "2026-11-01", arm: 0, n: 5, conversions: 1 },
      { as_of: "2026-11-01", arm: 1, n: 3, conversions: 0 },
      { as_of: "2026-11-01", arm: 2, n: 3, conversions: 0 },
      { as_of: "2026-11-02", arm: 0, n: 5, conversions: 1 },
      { as_of: "2026-11-02", arm: 1, n: 3, conversions: 1 },
      { as_of: "2026-11-02", arm: 2, n: 3, conversions: 1 },
    ]);
    const evaluations = await storedEvaluations();
    const first = jsonSafe(evaluate(experimentDesign, { arms: lookOne, history: [] }));
    const second = jsonSafe(evaluate(experimentDesign, { arms: lookTwo, history: [lookOne] }));
    expect(evaluations.map(({ computed_at: _c, ...row }) => row)).toEqual([
      { as_of: "2026-11-01", verdict: first.verdict.kind, result: first },
      { as_of: "2026-11-02", verdict: second.verdict.kind, result: second },
    ]);
    expect(second.verdict).toMatchObject({ kind: "not_yet", code: "too_few_events" });

    expect(await runJob(experimentEvaluationJob, "2026-11-02")).toMatchObject({ outcome: "succeeded" });
    expect(await storedCounts()).toEqual(counts);
    expect(await storedEvaluations()).toEqual(evaluations);
  });

  it("answers the counts now, the stored looks and evaluate() of them", async () => {
    const body = await ok("GET", `/api/v1/experiments/${experimentRef()}/results`);
    expect(body.experiment).toBe(experimentRef());
    expect(body.campaign).toBe(campaignRef());
    expect(body.design).toEqual({
      alpha: 0.05,
      power: 0.8,
      baseline_rate: 0.1,
      target_rate: 0.15,
      analysis: "sequential",
      mixing_variance: null,
    });
    const look = (asOf: string, counts: typeof lookOne) => ({
      as_of: asOf,
      arms: Object.entries(counts).map(([arm, value]) => ({ arm, ...value })),
    });
    expect(body.looks).toEqual([look("2026-11-01", lookOne), look("2026-11-02", lookTwo)]);
    const now = countsOf([5, 1], [3, 1], [3, 1]);
    const evaluation = jsonSafe(evaluate(experimentDesign, { arms: now, history: [lookOne, lookTwo] }));
    expect(body.evaluation).toEqual(presentEvaluation(evaluation));
    // The API's fields are snake_case like every other; the values are evaluate()'s.
    expect(Object.keys(body.evaluation)).toEqual(["arms", "minimum_sample_size", "srm", "verdict"]);
    expect(body.evaluation.minimum_sample_size).toBe(evaluation.minimumSampleSize);
    expect(Object.keys(body.evaluation.srm)).toEqual(["statistic", "degrees_of_freedom", "p", "mismatch"]);
    expect(Object.keys(body.evaluation.arms[1])).toEqual([
      "arm",
      "role",
      "n",
      "conversions",
      "rate",
      "expected_share",
      "minimum_reached",
      "comparison",
    ]);
    expect(body.evaluation.arms[1].expected_share).toBe(0.45);
    expect(Object.keys(body.evaluation.arms[1].comparison)).toEqual([
      "against",
      "lift",
      "z",
      "p",
      "sequential_p",
      "confidence_sequence",
      "adjusted_p",
      "significant",
      "power",
    ]);
    expect(body.evaluation.arms[1].comparison.sequential_p).toBe(evaluation.arms[1]?.comparison?.sequentialP);
    expect(Object.keys(body.evaluation.arms[1].comparison.lift.absolute)).toEqual([
      "estimate",
      "standard_error",
      "lower",
      "upper",
    ]);
    expect(
      body.evaluation.arms.map((arm: { arm: string; n: number; conversions: number }) => [
        arm.arm,
        arm.n,
        arm.conversions,
      ]),
    ).toEqual([
      ["control", 5, 1],
      ["variant", 3, 1],
      ["holdout", 3, 1],
    ]);
  });

  it("is 404 for an unknown experiment and 403 outside the key's brands", async () => {
    expectProblem(await call("GET", `/api/v1/experiments/${ids.encode("experiment", 2 ** 40)}/results`), 404);
    const other = await insertApiKey({ brandIds: [seeded.tenant.brand.internal + 1_000_000] });
    expectProblem(
      await call("GET", `/api/v1/experiments/${experimentRef()}/results`, { key: other.key }),
      403,
    );
  });
});
