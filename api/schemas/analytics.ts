import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { rfmSegments } from "../../db/schema/rfm.ts";
import type { AcquisitionComparison, AcquisitionFigures } from "../../domain/analytics/acquisition.ts";
import type { CampaignRoi } from "../../domain/analytics/campaign-roi.ts";
import type { CouponRoi } from "../../domain/analytics/coupon-roi.ts";
import type { LtvCohort } from "../../domain/analytics/ltv.ts";
import type { RetentionCohort } from "../../domain/analytics/retention.ts";
import type { RoiFigures } from "../../domain/analytics/roi.ts";
import { customerTypes } from "../../domain/analytics/roi.ts";
import type { CustomerScatter } from "../../domain/analytics/scatter.ts";
import type { AnalyticsWindow } from "../../domain/analytics/window.ts";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import type { HonoEnv } from "../hono-env.ts";
import { ApiProblem } from "../problem.ts";
import { fieldErrorsFromZod, validationHook } from "../validation.ts";
import { hashId, inputTimestamp, queryId } from "./common.ts";

// The query every analytics endpoint takes

export const analyticsQuery = z.object({
  brand: hashId("The brand analysed (required): every figure is of this brand's customers.").openapi({
    param: { name: "brand", in: "query", required: true },
  }),
  from: inputTimestamp.optional().openapi({
    param: { name: "from", in: "query" },
    description: "Start of the range, inclusive (what it bounds is said per endpoint).",
    example: "2026-01-01T00:00:00Z",
  }),
  to: inputTimestamp.optional().openapi({
    param: { name: "to", in: "query" },
    description: "End of the range, exclusive; after `from`.",
    example: "2026-07-01T00:00:00Z",
  }),
  as_of: inputTimestamp.optional().openapi({
    param: { name: "as_of", in: "query" },
    description:
      "The instant the figures are as of: only orders placed before it count (default: now). Credits and cancellations are the ledger's as it stands.",
    example: "2026-12-01T00:00:00Z",
  }),
});
export type AnalyticsQuery = z.infer<typeof analyticsQuery>;

/** The verb's window from the query; the brand's hash id must decode (422 `brand` otherwise). */
export function analyticsWindow(ids: HashIds, query: AnalyticsQuery, now = new Date()): AnalyticsWindow {
  return {
    brandId: queryId(ids, "brand", query.brand, "brand"),
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
    asOf: query.as_of === undefined ? now : new Date(query.as_of),
  };
}

/**
 * The analytics routes' validation hook: a request without `brand` is malformed (400 naming it, with
 * every other bad field beside it), since no figure means anything without one; anything else is the
 * API's usual 422.
 */
export function analyticsHook(
  result: Parameters<typeof validationHook>[0],
  c: Context<HonoEnv>,
): ReturnType<typeof validationHook> {
  if (!result.success && result.target === "query") {
    const input = "data" in result ? (result as { data: unknown }).data : undefined;
    const errors = fieldErrorsFromZod(result.error, input, result.target);
    if (errors.some((error) => error.field === "brand" && error.category === "missing"))
      throw new ApiProblem("bad_request", "The query parameter `brand` is required.", errors);
  }
  return validationHook(result, c);
}

const asOfField = z
  .string()
  .openapi({ description: "The `as_of` used.", example: "2026-12-01T00:00:00.000Z" });
const brandField = hashId("The brand analysed.");
const currency = z
  .string()
  .openapi({ description: "ISO 4217; money is never summed across currencies.", example: "KRW" });
const minor = (description: string, example: number) => z.number().int().openapi({ description, example });
const count = (description: string, example: number) =>
  z.number().int().min(0).openapi({ description, example });
const rate = (description: string, example: number) =>
  z.number().nullable().openapi({ description, example });
const month = (description: string) => z.string().openapi({ description, example: "2026-03" });

const envelope = <T extends z.ZodType>(data: T) =>
  z.object({
    brand: brandField,
    as_of: asOfField,
    from: z.string().nullable(),
    to: z.string().nullable(),
    data,
  });

export function envelopeOf<T>(ids: HashIds, window: AnalyticsWindow, data: T) {
  return {
    brand: ids.encode("brand", window.brandId),
    as_of: window.asOf.toISOString(),
    from: window.from?.toISOString() ?? null,
    to: window.to?.toISOString() ?? null,
    data,
  };
}

// LTV

const ltvMonthSchema = z.object({
  months_since: count("Months since the acquisition month (0 = that month).", 2),
  net_revenue: minor("Net revenue of the cohort's orders placed that month.", 84_000),
  cumulative_net_revenue: minor("Net revenue of months 0 … months_since.", 390_000),
  ltv: minor("cumulative_net_revenue / customers, rounded half away from zero.", 32_500),
});

export const ltvSchema = envelope(
  z.array(
    z.object({
      currency,
      acquisition_month: month("UTC month of the customers' first counted order."),
      customers: count("Customers acquired that month.", 12),
      months: z.array(ltvMonthSchema),
    }),
  ),
).openapi("LtvByAcquisitionMonth");

export const presentLtv = (ids: HashIds, window: AnalyticsWindow, cohorts: LtvCohort[]) =>
  envelopeOf(
    ids,
    window,
    cohorts.map((cohort) => ({
      currency: cohort.currency,
      acquisition_month: cohort.acquisitionMonth,
      customers: cohort.customers,
      months: cohort.months.map((m) => ({
        months_since: m.monthsSince,
        net_revenue: m.netRevenue,
        cumulative_net_revenue: m.cumulativeNetRevenue,
        ltv: m.ltv,
      })),
    })),
  );

// ROI

const roiFields = {
  currency,
  customer_type: z.enum(customerTypes).openapi({
    description: "`new`: the order was the account's first counted order; `existing`: a later one.",
  }),
  orders: count("Counted orders.", 40),
  customers: count("Distinct accounts among them.", 38),
  revenue: minor("Σ order totals (invoiced).", 4_200_000),
  refunds: minor("Σ credited totals of those orders (refunds and other credit notes).", 210_000),
  net_revenue: minor("revenue − refunds.", 3_990_000),
  discount_cost: minor("The discounts given.", 400_000),
  roi: rate("(net_revenue − discount_cost) / discount_cost, 4 decimals; null without a discount.", 8.975),
};

const presentRoi = (figures: RoiFigures) => ({
  currency: figures.currency,
  customer_type: figures.customerType,
  orders: figures.orders,
  customers: figures.customers,
  revenue: figures.revenue,
  refunds: figures.refunds,
  net_revenue: figures.netRevenue,
  discount_cost: figures.discountCost,
  roi: figures.roi,
});

export const couponRoiSchema = envelope(
  z.array(
    z.object({
      coupon: z.object({ id: hashId("Coupon id."), code: z.string().openapi({ example: "SPRING10" }) }),
      ...roiFields,
    }),
  ),
).openapi("CouponRoi");

export const presentCouponRoi = (ids: HashIds, window: AnalyticsWindow, rows: CouponRoi[]) =>
  envelopeOf(
    ids,
    window,
    rows.map((row) => ({
      coupon: { id: ids.encode("coupon", row.coupon.id), code: row.coupon.code },
      ...presentRoi(row),
    })),
  );

export const campaignRoiSchema = envelope(
  z.array(
    z.object({
      campaign: z.object({
        id: hashId("Campaign id."),
        code: z.string().openapi({ example: "spring-launch" }),
        name: z.string().openapi({ example: "spring-launch" }),
      }),
      ...roiFields,
    }),
  ),
).openapi("CampaignRoi");

export const presentCampaignRoi = (ids: HashIds, window: AnalyticsWindow, rows: CampaignRoi[]) =>
  envelopeOf(
    ids,
    window,
    rows.map((row) => ({
      campaign: {
        id: ids.encode("campaign", row.campaign.id),
        code: row.campaign.code,
        name: row.campaign.name,
      },
      ...presentRoi(row),
    })),
  );

// Retention

export const retentionSchema = envelope(
  z.array(
    z.object({
      first_order_month: month("UTC month of the customers' first counted order."),
      product: z
        .object({
          id: hashId("Product id."),
          sku: z.string().openapi({ example: "SERUM-30" }),
          name: z.string().openapi({ example: "Vitamin C Serum 30 ml" }),
        })
        .optional()
        .openapi({ description: "by=product: a product of the customers' first order." }),
      segment: z
        .enum(rfmSegments)
        .nullable()
        .optional()
        .openapi({ description: "by=segment: the customers' RFM segment; null for accounts not scored." }),
      customers: count("Customers in the cohort.", 120),
      months: z.array(
        z.object({
          months_since: count("Months since the first-order month.", 1),
          active: count("Cohort customers with a counted order that month.", 30),
          rate: z.number().openapi({ description: "active / customers, 4 decimals.", example: 0.25 }),
        }),
      ),
    }),
  ),
).openapi("Retention");

export const presentRetention = (ids: HashIds, window: AnalyticsWindow, cohorts: RetentionCohort[]) =>
  envelopeOf(
    ids,
    window,
    cohorts.map((cohort) => ({
      first_order_month: cohort.firstOrderMonth,
      ...(cohort.product
        ? {
            product: {
              id: ids.encode("product", cohort.product.id),
              sku: cohort.product.sku,
              name: cohort.product.name,
            },
          }
        : {}),
      ...(cohort.segment !== undefined ? { segment: cohort.segment } : {}),
      customers: cohort.customers,
      months: cohort.months.map((m) => ({ months_since: m.monthsSince, active: m.active, rate: m.rate })),
    })),
  );

// Organic vs influencer

const acquisitionFields = {
  currency,
  customers: count("Customers acquired in the range.", 240),
  orders: count("Their counted orders.", 410),
  net_revenue: minor("Σ net revenue of those orders.", 18_450_000),
  aov: minor("net_revenue / orders, rounded half away from zero.", 45_000).nullable(),
  repeat_customers: count("Customers with at least two counted orders.", 96),
  repeat_rate: rate("repeat_customers / customers, 4 decimals.", 0.4),
  ltv: z.array(
    z.object({
      days: z.number().int().openapi({ example: 90 }),
      customers: count("Customers whose first order is at least `days` days before as_of.", 200),
      net_revenue: minor("Their net revenue from orders placed within `days` days of the first.", 11_000_000),
      ltv: minor("net_revenue / customers, rounded half away from zero.", 55_000).nullable(),
    }),
  ),
};

export const acquisitionSchema = envelope(
  z.object({
    sources: z.array(
      z.object({
        source: z.enum(["organic", "influencer", "unclassified"]).openapi({
          description: "The account's classification; `unclassified` before the classification reached it.",
        }),
        ...acquisitionFields,
      }),
    ),
    influencers: z.array(
      z.object({
        influencer: z.object({
          id: hashId("Influencer id."),
          name: z.string().openapi({ example: "Jane" }),
          handle: z.string().nullable().openapi({ example: "jane.glow" }),
        }),
        ...acquisitionFields,
      }),
    ),
  }),
).openapi("AcquisitionComparison");

const presentFigures = (figures: AcquisitionFigures) => ({
  currency: figures.currency,
  customers: figures.customers,
  orders: figures.orders,
  net_revenue: figures.netRevenue,
  aov: figures.aov,
  repeat_customers: figures.repeatCustomers,
  repeat_rate: figures.repeatRate,
  ltv: figures.ltv.map((h) => ({
    days: h.days,
    customers: h.customers,
    net_revenue: h.netRevenue,
    ltv: h.ltv,
  })),
});

export const presentAcquisition = (
  ids: HashIds,
  window: AnalyticsWindow,
  comparison: AcquisitionComparison,
) =>
  envelopeOf(ids, window, {
    sources: comparison.sources.map((row) => ({ source: row.source, ...presentFigures(row) })),
    influencers: comparison.influencers.map((row) => ({
      influencer: {
        id: ids.encode("influencer", row.influencer.id),
        name: row.influencer.name,
        handle: row.influencer.handle,
      },
      ...presentFigures(row),
    })),
  });

// Scatter

export const scatterSchema = envelope(
  z.object({
    points: z.array(
      z.object({
        account: hashId("Account id."),
        currency,
        frequency: count("Counted orders placed in the range.", 3),
        monetary: minor("Their net revenue.", 126_000),
      }),
    ),
    totals: z.array(
      z.object({
        currency,
        customers: count("Every customer with a counted order in the range, sampled or not.", 12_840),
        orders: count("Their counted orders.", 19_200),
        net_revenue: minor("Their net revenue.", 865_000_000),
        points: count("How many of them are among the points.", 5_000),
      }),
    ),
  }),
).openapi("CustomerScatter");

export const presentScatter = (ids: HashIds, window: AnalyticsWindow, scatter: CustomerScatter) =>
  envelopeOf(ids, window, {
    points: scatter.points.map((p) => ({
      account: ids.encode("account", p.accountId),
      currency: p.currency,
      frequency: p.frequency,
      monetary: p.monetary,
    })),
    totals: scatter.totals.map((t) => ({
      currency: t.currency,
      customers: t.customers,
      orders: t.orders,
      net_revenue: t.netRevenue,
      points: t.points,
    })),
  });
