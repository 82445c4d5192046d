import { createRoute, type z } from "@hono/zod-openapi";
import { compareAcquisition } from "../../domain/analytics/acquisition.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  acquisitionSchema,
  analyticsHook,
  analyticsQuery,
  analyticsWindow,
  presentAcquisition,
} from "../schemas/analytics.ts";
import { security } from "../schemas/common.ts";

export const acquisitionComparisonRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/acquisition",
  tags: ["Analytics"],
  summary: "Organic vs influencer",
  description:
    "The customers acquired (first counted order) in [`from`, `to`), per currency, by acquisition source (`organic`, `influencer`, `unclassified`) and per influencer: customers, their counted orders before `as_of`, net revenue, AOV (net revenue / orders), repeat rate (share with at least two orders), and LTV at 90, 180 and 365 days (net revenue of orders placed within N days of the first, over the customers whose first order is at least N days before `as_of`).",
  security,
  request: { query: analyticsQuery },
  responses: {
    200: {
      description: "Organic vs influencer.",
      content: { "application/json": { schema: acquisitionSchema } },
    },
    ...problemResponses(400, 401, 403, 422),
  },
});

export type AcquisitionComparisonResponse = z.infer<typeof acquisitionSchema>;

export function registerAcquisitionComparison(app: ApiApp): void {
  app.openapi(
    acquisitionComparisonRoute,
    async (c) => {
      const ids = c.var.ids;
      const input = analyticsWindow(ids, c.req.valid("query"));
      const comparison = await compareAcquisition({ ctx: verbContext(c), input });
      return c.json(presentAcquisition(ids, input, comparison), 200);
    },
    (result, c) => analyticsHook(result, c),
  );
}
