import { createRoute, type z } from "@hono/zod-openapi";
import { ltvByAcquisitionMonth } from "../../domain/analytics/ltv.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  analyticsHook,
  analyticsQuery,
  analyticsWindow,
  ltvSchema,
  presentLtv,
} from "../schemas/analytics.ts";
import { security } from "../schemas/common.ts";

export const ltvByAcquisitionMonthRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/ltv",
  tags: ["Analytics"],
  summary: "LTV by acquisition month",
  description:
    "Per currency and acquisition month (the UTC month of each customer's first counted order), the cohort's customers and, for every month since acquisition up to `as_of`, the net revenue of its orders placed that month, the cumulative net revenue and the LTV (cumulative net revenue / customers). `from`/`to` bound the acquisition instant. A counted order is one placed before `as_of` and never cancelled; net revenue is its total less its credited total (refunds count on the order they credited).",
  security,
  request: { query: analyticsQuery },
  responses: {
    200: { description: "LTV by acquisition month.", content: { "application/json": { schema: ltvSchema } } },
    ...problemResponses(400, 401, 403, 422),
  },
});

export type LtvByAcquisitionMonthResponse = z.infer<typeof ltvSchema>;

export function registerLtvByAcquisitionMonth(app: ApiApp): void {
  app.openapi(
    ltvByAcquisitionMonthRoute,
    async (c) => {
      const ids = c.var.ids;
      const input = analyticsWindow(ids, c.req.valid("query"));
      const result = await ltvByAcquisitionMonth({ ctx: verbContext(c), input });
      return c.json(presentLtv(ids, input, result), 200);
    },
    (result, c) => analyticsHook(result, c),
  );
}
