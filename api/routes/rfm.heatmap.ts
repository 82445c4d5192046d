import { createRoute, z } from "@hono/zod-openapi";
import { rfmSegments } from "../../db/schema/rfm.ts";
import { rfmHeatmap } from "../../domain/rfm/heatmap.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { ApiProblem, problemResponses } from "../problem.ts";
import { batchDate } from "../schemas/batch-run.ts";
import { hashId, isoOrNull, queryId, security, timestamp } from "../schemas/common.ts";

const heatmapQuery = z.object({
  brand: hashId("The brand.").openapi({ param: { name: "brand", in: "query" } }),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, "An ISO 4217 code, upper-case.")
    .optional()
    .openapi({
      param: { name: "currency", in: "query" },
      description:
        "The accounts of this currency (scores are per brand and currency); required when the brand has scored accounts in more than one.",
      example: "KRW",
    }),
});

const cellSchema = z
  .object({
    r: z.number().int().openapi({ description: "Recency score 1–5 (5: most recent)." }),
    f: z.number().int().openapi({ description: "Frequency score 1–5." }),
    segment: z.enum(rfmSegments).openapi({ description: "The cell's segment in the R×F map." }),
    count: z.number().int().openapi({ description: "Scored accounts in the cell." }),
    share: z.number().openapi({ description: "`count` / `accounts` (0 when nothing is scored)." }),
    monetary: z.number().int().openapi({ description: "Σ of the accounts' net revenue, minor units." }),
    avg_monetary: z.number().int().nullable().openapi({
      description:
        "Average net revenue per account in minor units, rounded half away from zero; null for an empty cell.",
    }),
  })
  .openapi("RfmHeatmapCell");

const heatmapSchema = z
  .object({
    brand: z.string(),
    currency: z.string().nullable().openapi({ description: "Null when the brand has no scored account." }),
    as_of: batchDate
      .nullable()
      .openapi({ description: "The run date of the scores; null before the first." }),
    computed_at: timestamp.nullable().openapi({ description: "When the newest cell was written." }),
    accounts: z.number().int().openapi({ description: "Scored accounts of the brand in `currency`." }),
    cells: z.array(cellSchema).openapi({ description: "All 25 cells, by `r` then `f`, 1 to 5." }),
  })
  .openapi("RfmHeatmap");

export const rfmHeatmapRoute = createRoute({
  method: "get",
  path: "/api/v1/rfm/heatmap",
  tags: ["RFM"],
  summary: "The R×F heatmap of a brand",
  description:
    "The 5×5 grid of recency × frequency scores from the stored RFM scores (nightly, or `POST /api/v1/rfm/recompute`): every cell with its segment, the accounts in it, their share of the brand's scored accounts in the currency, and their average monetary value. A brand with scored accounts in several currencies needs `currency` (400 otherwise): money is never mixed.",
  security,
  request: { query: heatmapQuery },
  responses: {
    200: { description: "The grid.", content: { "application/json": { schema: heatmapSchema } } },
    ...problemResponses(400, 401, 403, 422),
  },
});

export type RfmHeatmapResponse = z.infer<typeof heatmapSchema>;

export function registerRfmHeatmap(app: ApiApp): void {
  app.openapi(rfmHeatmapRoute, async (c) => {
    const query = c.req.valid("query");
    const brandId = queryId(c.var.ids, "brand", query.brand, "brand");
    const heatmap = await rfmHeatmap({ ctx: verbContext(c), input: { brandId, currency: query.currency } });
    if ("currencyRequired" in heatmap) {
      const message = `The brand has scored accounts in ${heatmap.currencyRequired.join(", ")}; name one.`;
      throw new ApiProblem("bad_request", message, [{ field: "currency", category: "missing", message }]);
    }
    return c.json(
      {
        brand: query.brand,
        currency: heatmap.currency,
        as_of: heatmap.asOf,
        computed_at: isoOrNull(heatmap.computedAt),
        accounts: heatmap.accounts,
        cells: heatmap.cells.map(({ avgMonetary, ...cell }) => ({ ...cell, avg_monetary: avgMonetary })),
      },
      200,
    );
  });
}
