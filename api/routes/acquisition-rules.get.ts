import { createRoute, type z } from "@hono/zod-openapi";
import { getAcquisitionRule } from "../../domain/acquisition/rules.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { acquisitionRuleSchema, presentAcquisitionRule } from "../schemas/acquisition.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

export const getAcquisitionRuleRoute = createRoute({
  method: "get",
  path: "/api/v1/acquisition-rules/{id}",
  tags: ["Acquisition"],
  summary: "Get an acquisition rule",
  description:
    "One acquisition rule of a brand: its type, priority, match settings (coupon, referral parameters, utm field and value, referrer domain), influencer and whether it is active. A key limited to other brands gets a 403.",
  security,
  request: { params: idParams("acquisition rule") },
  responses: {
    200: { description: "The rule.", content: { "application/json": { schema: acquisitionRuleSchema } } },
    ...problemResponses(401, 403, 404),
  },
});

export type GetAcquisitionRuleResponse = z.infer<typeof acquisitionRuleSchema>;

export function registerGetAcquisitionRule(app: ApiApp): void {
  app.openapi(getAcquisitionRuleRoute, async (c) => {
    const id = pathId(c.var.ids, "acquisitionRule", c.req.valid("param").id, "acquisition rule");
    const rule = await getAcquisitionRule({ ctx: verbContext(c), input: { id } });
    return c.json(presentAcquisitionRule(c.var.ids, rule), 200);
  });
}
