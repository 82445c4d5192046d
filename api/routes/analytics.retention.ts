import { createRoute, z } from "@hono/zod-openapi";
import { retention, retentionSplits } from "../../domain/analytics/retention.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  analyticsHook,
  analyticsQuery,
  analyticsWindow,
  presentRetention,
  retentionSchema,
} from "../schemas/analytics.ts";
import { security } from "../schemas/common.ts";

const query = analyticsQuery.extend({
  by: z
    .enum(retentionSplits)
    .default("month")
    .openapi({
      param: { name: "by", in: "query" },
      description:
        "`month`: cohorts by first-order month only; `product`: also by each product of the first order; `segment`: also by the account's RFM segment.",
      example: "product",
    }),
});

export const retentionRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/retention",
  tags: ["Analytics"],
  summary: "Cohort retention",
  description:
    "Customers by the UTC month of their first counted order (in [`from`, `to`)), and for every month since then up to `as_of` how many placed a counted order in that month and their share of the cohort. `by=product` splits each cohort by the products of the customers' first order (a customer whose first order held two products is in both), `by=segment` by the account's RFM segment (null: not scored). Counts only, so currencies do not split it.",
  security,
  request: { query },
  responses: {
    200: { description: "Cohort retention.", content: { "application/json": { schema: retentionSchema } } },
    ...problemResponses(400, 401, 403, 422),
  },
});

export type RetentionResponse = z.infer<typeof retentionSchema>;

export function registerRetention(app: ApiApp): void {
  app.openapi(
    retentionRoute,
    async (c) => {
      const ids = c.var.ids;
      const q = c.req.valid("query");
      const input = analyticsWindow(ids, q);
      const cohorts = await retention({ ctx: verbContext(c), input: { ...input, by: q.by } });
      return c.json(presentRetention(ids, input, cohorts), 200);
    },
    (result, c) => analyticsHook(result, c),
  );
}
