import { createRoute, z } from "@hono/zod-openapi";
import { customerScatter, maxScatterPoints } from "../../domain/analytics/scatter.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  analyticsHook,
  analyticsQuery,
  analyticsWindow,
  presentScatter,
  scatterSchema,
} from "../schemas/analytics.ts";
import { security } from "../schemas/common.ts";

const query = analyticsQuery.extend({
  points: z.coerce
    .number()
    .int()
    .min(1)
    .max(maxScatterPoints)
    .default(maxScatterPoints)
    .openapi({
      param: { name: "points", in: "query" },
      description: `The most points to return (1–${maxScatterPoints}).`,
      example: maxScatterPoints,
    }),
});

export const customerScatterRoute = createRoute({
  method: "get",
  path: "/api/v1/analytics/scatter",
  tags: ["Analytics"],
  summary: "Customer scatter: frequency × monetary",
  description:
    "Every customer with a counted order placed in [`from`, `to`) and before `as_of`: frequency (orders) and monetary value (net revenue). At most `points` customers are returned, always the same ones for the same data (the smallest Fibonacci hash of the account id); the totals per currency are exact, over every customer.",
  security,
  request: { query },
  responses: {
    200: { description: "The scatter.", content: { "application/json": { schema: scatterSchema } } },
    ...problemResponses(400, 401, 403, 422),
  },
});

export type CustomerScatterResponse = z.infer<typeof scatterSchema>;

export function registerCustomerScatter(app: ApiApp): void {
  app.openapi(
    customerScatterRoute,
    async (c) => {
      const ids = c.var.ids;
      const q = c.req.valid("query");
      const input = analyticsWindow(ids, q);
      const scatter = await customerScatter({ ctx: verbContext(c), input: { ...input, points: q.points } });
      return c.json(presentScatter(ids, input, scatter), 200);
    },
    (result, c) => analyticsHook(result, c),
  );
}
