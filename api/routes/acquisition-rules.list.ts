import { createRoute, type z } from "@hono/zod-openapi";
import { listAcquisitionRules } from "../../domain/acquisition/rules.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { acquisitionRuleSchema, presentAcquisitionRule } from "../schemas/acquisition.ts";
import { hashId, pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";

const listQuery = pageQuery.extend({
  brand: hashId("Only this brand's rules.")
    .optional()
    .openapi({ param: { name: "brand", in: "query" } }),
});
const rulePage = pageOf(acquisitionRuleSchema, "AcquisitionRulePage");

export const listAcquisitionRulesRoute = createRoute({
  method: "get",
  path: "/api/v1/acquisition-rules",
  tags: ["Acquisition"],
  summary: "List acquisition rules",
  description: "Rules not deleted, by id. A key limited to some brands sees only their rules.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of rules, oldest first.",
      content: { "application/json": { schema: rulePage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListAcquisitionRulesResponse = z.infer<typeof rulePage>;

export function registerListAcquisitionRules(app: ApiApp): void {
  app.openapi(listAcquisitionRulesRoute, async (c) => {
    const query = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listAcquisitionRules({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "acquisitionRule", query),
        brandId: query.brand === undefined ? undefined : queryId(ids, "brand", query.brand, "brand"),
      },
    });
    return c.json(
      pageBody(ids, "acquisitionRule", page, (rule) => presentAcquisitionRule(ids, rule)),
      200,
    );
  });
}
