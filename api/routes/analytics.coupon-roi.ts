import { createRoute, type z } from "@hono/zod-openapi";
import { couponRoi } from "../../domain/analytics/coupon-roi.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  analyticsHook,
  analyticsQuery,
  analyticsWindow,
  couponRoiSchema,
  presentCouponRoi,
} from "../schemas/analytics.ts";
import { security } from "../schemas/common.ts";

export const couponRoiRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/coupon-roi",
  tags: ["Analytics"],
  summary: "Coupon ROI, new vs existing customers",
  description:
    "Per coupon, currency and customer type (`new`: the order was the account's first counted order), the counted orders placed in [`from`, `to`) that used the coupon: revenue, refunds (their credited totals), net revenue, the discount the store attributed to the coupon, and ROI = (net revenue − discount cost) / discount cost. An order with two coupons counts in full for each.",
  security,
  request: { query: analyticsQuery },
  responses: {
    200: {
      description: "Coupon ROI, new vs existing customers.",
      content: { "application/json": { schema: couponRoiSchema } },
    },
    ...problemResponses(400, 401, 403, 422),
  },
});

export type CouponRoiResponse = z.infer<typeof couponRoiSchema>;

export function registerCouponRoi(app: ApiApp): void {
  app.openapi(
    couponRoiRoute,
    async (c) => {
      const ids = c.var.ids;
      const input = analyticsWindow(ids, c.req.valid("query"));
      const result = await couponRoi({ ctx: verbContext(c), input });
      return c.json(presentCouponRoi(ids, input, result), 200);
    },
    (result, c) => analyticsHook(result, c),
  );
}
