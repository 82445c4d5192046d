import { createRoute, z } from "@hono/zod-openapi";
import { recomputeBrandRfm } from "../../domain/rfm/recompute.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { batchDate } from "../schemas/batch-run.ts";
import { hashId, queryId, security } from "../schemas/common.ts";

const recomputeBody = z
  .strictObject({
    brand: hashId("The brand whose accounts to score."),
    as_of: batchDate
      .optional()
      .openapi({ description: "The run date (UTC), not after today; today by default." }),
  })
  .openapi("RecomputeRfm");

const recomputeResult = z
  .object({
    brand: z.string().openapi({ description: "The brand's hash id." }),
    as_of: batchDate.openapi({ description: "The run date the scores are as of." }),
    accounts: z.number().int().openapi({ description: "Accounts scored (those with a counted order)." }),
    changed: z.number().int().openapi({
      description:
        "Stored rows (scores, heatmap cells and scatter bins) written or removed; 0 when nothing changed since the last recompute for the date.",
    }),
  })
  .openapi("RecomputeRfmResult");

export const recomputeRfmRoute = createRoute({
  method: "post",
  path: "/api/v1/rfm/recompute",
  tags: ["RFM"],
  summary: "Recompute a brand's RFM scores",
  description:
    "Scores every account of the brand now, as the nightly `rfm-scores` job does: recency, frequency and monetary quintiles 1–5 per currency and the R×F segment, as of `as_of` (today by default), replacing the brand's stored scores and heatmap. Running it again for the same date over the same orders changes nothing.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: recomputeBody } } } },
  responses: {
    200: {
      description: "The brand's scores as now stored.",
      content: { "application/json": { schema: recomputeResult } },
    },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

export type RecomputeRfmRequest = z.input<typeof recomputeBody>;
export type RecomputeRfmResponse = z.infer<typeof recomputeResult>;

export function registerRecomputeRfm(app: ApiApp): void {
  app.openapi(recomputeRfmRoute, async (c) => {
    const body = c.req.valid("json");
    const brandId = queryId(c.var.ids, "brand", body.brand, "brand");
    const result = await recomputeBrandRfm({ ctx: verbContext(c), input: { brandId, asOf: body.as_of } });
    return c.json(
      { brand: body.brand, as_of: result.asOf, accounts: result.accounts, changed: result.changed },
      200,
    );
  });
}
