import { createRoute, type z } from "@hono/zod-openapi";
import { createCellCohort } from "../../domain/cohorts/rfm-cell.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { cellCohortBody, cohortDetailSchema, presentCohortDetail } from "../schemas/cohort.ts";
import { security } from "../schemas/common.ts";

export const cellCohortRoute = createRoute({
  method: "post",
  path: "/api/v1/rfm/cells/cohort",
  tags: ["RFM"],
  summary: "Save an R × F cell as a cohort",
  description:
    "One cell of a brand's R × F heatmap as a saved cohort, in one call: its definition is `brand = brand AND r_score = r AND f_score = f`, so its members are the brand's accounts whose latest RFM scores are in the cell (as the scores change, so do they; a snapshot freezes them). Named `RFM R<r> F<f>` unless `name` is given.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: cellCohortBody } } } },
  responses: {
    201: {
      description: "The new cohort and its member count.",
      content: { "application/json": { schema: cohortDetailSchema } },
    },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

export type CellCohortRequest = z.input<typeof cellCohortBody>;
export type CellCohortResponse = z.infer<typeof cohortDetailSchema>;

export function registerCellCohort(app: ApiApp): void {
  app.openapi(cellCohortRoute, async (c) => {
    const body = c.req.valid("json");
    const cohort = await createCellCohort({
      ctx: verbContext(c),
      input: { brand: body.brand, r: body.r, f: body.f, name: body.name, refresh: body.refresh },
    });
    const json = presentCohortDetail(c.var.ids, cohort);
    return c.json(json, 201, { location: `/api/v1/cohorts/${json.id}` });
  });
}
