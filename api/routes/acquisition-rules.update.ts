import { createRoute, type z } from "@hono/zod-openapi";
import { updateAcquisitionRule } from "../../domain/acquisition/rules.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  acquisitionRuleSchema,
  presentAcquisitionRule,
  updateAcquisitionRuleBody,
} from "../schemas/acquisition.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const updateAcquisitionRuleRoute = createRoute({
  method: "patch",
  path: "/api/v1/acquisition-rules/{id}",
  tags: ["Acquisition"],
  summary: "Change an acquisition rule",
  description:
    "Changes the given settings (the type and brand stay); the rule as changed must still hold its type's shape. Accounts are reclassified by the next classification run, never by this call.",
  security,
  request: {
    params: idParams("acquisition rule"),
    body: { required: true, content: { "application/json": { schema: updateAcquisitionRuleBody } } },
  },
  responses: {
    200: {
      description: "The rule as changed.",
      content: { "application/json": { schema: acquisitionRuleSchema } },
    },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type UpdateAcquisitionRuleRequest = z.input<typeof updateAcquisitionRuleBody>;
export type UpdateAcquisitionRuleResponse = z.infer<typeof acquisitionRuleSchema>;

export function registerUpdateAcquisitionRule(app: ApiApp): void {
  app.openapi(updateAcquisitionRuleRoute, async (c) => {
    const id = pathId(c.var.ids, "acquisitionRule", c.req.valid("param").id, "acquisition rule");
    const body = c.req.valid("json");
    const rule = await updateAcquisitionRule({
      ctx: verbContext(c),
      input: {
        id,
        priority: body.priority,
        influencer: body.influencer,
        paramNames: body.param_names,
        field: body.field,
        match: body.match,
        value: body.value,
        domain: body.domain,
      },
    });
    return c.json(presentAcquisitionRule(c.var.ids, rule), 200);
  });
}
