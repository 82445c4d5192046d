import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { compileCohort } from "../../domain/cohorts/compile.ts";
import {
  conditionFields,
  type Definition,
  definitionIssues,
  definitionPath,
  definitionSchema,
} from "../../domain/cohorts/definition.ts";
import { decodeDefinition } from "../../domain/cohorts/resolve.ts";
import { hashIds } from "../../domain/core/hash-ids.ts";

const dialect = new PgDialect();
const now = new Date("2026-06-01T00:00:00.000Z");
const render = (definition: Definition, brandIds: number[] | null = [3]) =>
  dialect.sqlToQuery(compileCohort(definition, { brandIds, now }));

describe("cohort compiler", () => {
  it("compiles account columns to predicates on a, every value a parameter", () => {
    const query = render({
      op: "and",
      rules: [
        { field: "brand", op: "in", value: [3, 4] },
        { field: "market", op: "not_in", value: [9] },
        { field: "order_count", op: "between", value: { min: 2, max: 5 } },
        { field: "total_spent", op: "gte", value: 50000, currency: "KRW" },
        { field: "first_order_at", op: "before", value: "2026-01-01T09:00:00+09:00" },
        { field: "last_order_at", op: "within_last_days", value: 30 },
      ],
    });
    expect(query.sql).toBe(
      "SELECT a.id FROM brand_client_accounts a WHERE a.brand_id = ANY($1::bigint[]) AND " +
        "(a.brand_id = ANY($2::bigint[]) AND a.market_id <> ALL($3::bigint[]) AND a.order_count BETWEEN $4 AND $5" +
        " AND (a.currency = $6 AND a.invoiced - a.credited >= $7::bigint) AND a.first_order_at < $8::timestamptz" +
        " AND a.last_order_at >= $9::timestamptz)",
    );
    expect(query.params).toEqual([
      "{3}",
      "{3,4}",
      "{9}",
      2,
      5,
      "KRW",
      50000,
      "2026-01-01T00:00:00.000Z",
      "2026-05-02T00:00:00.000Z",
    ]);
  });

  it("joins acquisition and RFM only when read, and spells out what an absent row means", () => {
    const query = render(
      {
        op: "or",
        rules: [
          { field: "acquisition_source", op: "not_in", value: ["organic"] },
          { field: "influencer", op: "not_in", value: [5] },
          { field: "rfm_segment", op: "not_in", value: ["champions", "loyal_customers", "at_risk"] },
          { field: "r_score", op: "in", value: [4, 5] },
          { field: "average_order_value", op: "lt", value: 1500, currency: "USD" },
          { field: "country", op: "in", value: ["KR", "JP"] },
        ],
      },
      null,
    );
    expect(query.sql).toBe(
      "SELECT a.id FROM brand_client_accounts a LEFT JOIN account_acquisition x ON x.account_id = a.id" +
        " LEFT JOIN account_rfm s ON s.account_id = a.id WHERE ((x.source = $1 OR x.account_id IS NULL)" +
        " OR (x.influencer_id IS NULL OR x.influencer_id <> ALL($2::bigint[]))" +
        " OR (s.account_id IS NULL OR s.segment = ANY($3::rfm_segment[])) OR s.r = ANY($4::int[])" +
        " OR (a.currency = $5 AND a.order_count > 0 AND (a.invoiced - a.credited)::numeric < $6::numeric * a.order_count)" +
        " OR a.market_id IN (SELECT mk.id FROM markets mk WHERE mk.country = ANY($7::text[])))",
    );
    expect(query.params).toEqual([
      "influencer",
      "{5}",
      '{"potential_loyalists","new_customers","promising","need_attention","about_to_sleep","cannot_lose_them","hibernating"}',
      "{4,5}",
      "USD",
      1500,
      '{"KR","JP"}',
    ]);
  });

  it("compiles products, coupons, subscriptions and consents to EXISTS on their indexes", () => {
    const query = render({
      op: "and",
      rules: [
        { field: "product", op: "has", value: [11, 12] },
        { op: "or", rules: [{ field: "coupon", op: "has_not", value: [" save10 ", "SAVE10", "vip"] }] },
        { field: "subscription_state", op: "has", value: ["active", "suspended"] },
        { field: "consent", op: "has", value: "sms" },
      ],
    });
    expect(query.sql).toBe(
      "SELECT a.id FROM brand_client_accounts a WHERE a.brand_id = ANY($1::bigint[]) AND (" +
        "EXISTS (SELECT 1 FROM orders o WHERE o.account_id = a.id AND o.cancelled_at IS NULL AND EXISTS" +
        " (SELECT 1 FROM order_items oi WHERE oi.order_id = o.id AND oi.product_id = ANY($2::bigint[])))" +
        " AND (NOT EXISTS (SELECT 1 FROM orders o WHERE o.account_id = a.id AND o.cancelled_at IS NULL AND EXISTS" +
        " (SELECT 1 FROM order_coupons oc JOIN coupons c ON c.id = oc.coupon_id WHERE oc.order_id = o.id AND c.code = ANY($3::text[]))))" +
        " AND EXISTS (SELECT 1 FROM subscriptions sb WHERE sb.account_id = a.id AND sb.state = ANY($4::subscription_state[]))" +
        " AND EXISTS (SELECT 1 FROM consents cs WHERE cs.brand_id = a.brand_id AND cs.contact_id = a.contact_id" +
        " AND cs.channel = $5::consent_channel AND cs.status = 'granted'))",
    );
    expect(query.params).toEqual(["{3}", "{11,12}", '{"SAVE10","VIP"}', '{"active","suspended"}', "sms"]);
  });

  it("keeps hostile text a parameter", () => {
    const query = render({
      op: "and",
      rules: [{ field: "coupon", op: "has", value: ["X'); DROP TABLE orders; --"] }],
    });
    expect(query.sql).not.toContain("DROP");
    expect(query.params).toEqual(["{3}", '{"X\'); DROP TABLE ORDERS; --"}']);
  });
});

describe("cohort definitions", () => {
  const issues = (input: unknown) => {
    const result = definitionSchema.safeParse(input);
    if (result.success) return [];
    return definitionIssues(result.error.issues, input).map((issue) => [
      definitionPath(issue.path),
      issue.message,
    ]);
  };

  it("has the 17 fields of SPEC §11 (market and country are one)", () => {
    expect(conditionFields).toEqual([
      "brand",
      "market",
      "country",
      "acquisition_source",
      "influencer",
      "first_order_at",
      "last_order_at",
      "order_count",
      "total_spent",
      "average_order_value",
      "r_score",
      "f_score",
      "m_score",
      "rfm_segment",
      "product",
      "coupon",
      "subscription_state",
      "consent",
    ]);
  });

  it("names the exact path of every bad field", () => {
    expect(
      issues({
        op: "and",
        rules: [
          { field: "order_count", op: "gte", value: 1 },
          {
            op: "or",
            rules: [
              { field: "order_count", op: "gte", value: "2" },
              { field: "total_spent", op: "gte", value: 100 },
            ],
          },
          { field: "ltv", op: "gte", value: 1 },
          { field: "r_score", op: "in", value: [6] },
          {
            field: "last_order_at",
            op: "between",
            value: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
          },
          { field: "brand", op: "contains", value: "x" },
        ],
      }),
    ).toEqual([
      ["rules[1].rules[0].value", "Invalid input: expected number, received string"],
      ["rules[1].rules[1].currency", "Invalid input: expected string, received undefined"],
      [
        "rules[2].field",
        "Invalid discriminator value. Expected 'brand' | 'market' | 'country' | 'acquisition_source' | 'influencer' | 'first_order_at' | 'last_order_at' | 'order_count' | 'total_spent' | 'average_order_value' | 'r_score' | 'f_score' | 'm_score' | 'rfm_segment' | 'product' | 'coupon' | 'subscription_state' | 'consent'",
      ],
      ["rules[3].value[0]", "Too big: expected number to be <=5"],
      ["rules[4].value.to", "`from` must be before `to`."],
      ["rules[5].op", "Invalid discriminator value. Expected 'equals' | 'in' | 'not_in'"],
    ]);
  });

  it("accepts 10 levels and 500 conditions, and refuses deeper or bigger ones before parsing them", () => {
    const leaf = { field: "order_count", op: "gte", value: 1 };
    const nest = (levels: number) => {
      let node: unknown = leaf;
      for (let i = 0; i < levels; i += 1) node = { op: i % 2 === 0 ? "and" : "or", rules: [node] };
      return node;
    };
    expect(issues(nest(10))).toEqual([]);
    expect(issues(nest(11))).toEqual([
      [
        "rules[0].rules[0].rules[0].rules[0].rules[0].rules[0].rules[0].rules[0].rules[0].rules[0]",
        "Groups nest at most 10 deep.",
      ],
    ]);
    // 100 000 levels: refused by the size check, not a stack overflow.
    expect(issues(nest(100_000))).toHaveLength(1);
    const wide = (groups: number) => ({
      op: "or",
      rules: Array.from({ length: groups }, () => ({
        op: "and",
        rules: Array.from({ length: 100 }, () => leaf),
      })),
    });
    expect(issues(wide(5))).toEqual([]);
    expect(issues(wide(6))).toEqual([["", "A definition has at most 500 conditions."]]);
  });

  it("decodes public ids, naming each malformed one by path", () => {
    const ids = hashIds("k3G7QAe51FCsPW92uEOyq4Bg6Sp8YzVTmnU0liwDdHXLajZrfxNMobJIRc");
    const { definition, errors } = decodeDefinition(
      {
        op: "and",
        rules: [
          { field: "brand", op: "equals", value: ids.encode("brand", 7) },
          {
            op: "or",
            rules: [
              { field: "product", op: "has", value: [ids.encode("product", 8), ids.encode("brand", 8)] },
            ],
          },
        ],
      },
      ids,
      "definition.",
    );
    expect(errors.errors).toEqual([
      { field: "definition.rules[1].rules[0].value[1]", category: "malformed", message: "Not a product id." },
    ]);
    expect(definition.rules[0]).toEqual({ field: "brand", op: "equals", value: 7 });
  });
});
