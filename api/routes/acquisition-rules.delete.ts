import { createRoute, type z } from "@hono/zod-openapi";
import { deleteAcquisitionRule } from "../../domain/acquisition/rules.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { acquisitionRuleSchema, presentAcquisitionRule } from "../schemas/acquisition.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const deleteAcquisitionRuleRoute = createRoute({
  method: "delete",
  path: "/api/v1/acquisition-rules/{id}",
  tags: ["Acquisition"],
  summary: "Delete an acquisition rule",
  description:
    "The rule decides nothing from the next classification run on; accounts it classified keep naming it (and their history does) until that run decides again.",
  security,
  request: { params: idParams("acquisition rule") },
  responses: {
    200: {
      description: "The rule as it was.",
      content: { "application/json": { schema: acquisitionRuleSchema } },
    },
    ...problemResponses(401, 403, 404),
  },
});

export type DeleteAcquisitionRuleResponse = z.infer<typeof acquisitionRuleSchema>;

export function registerDeleteAcquisitionRule(app: ApiApp): void {
  app.openapi(deleteAcquisitionRuleRoute, async (c) => {
    const id = pathId(c.var.ids, "acquisitionRule", c.req.valid("param").id, "acquisition rule");
    const rule = await deleteAcquisitionRule({ ctx: verbContext(c), input: { id } });
    return c.json(presentAcquisitionRule(c.var.ids, rule), 200);
  });
}
