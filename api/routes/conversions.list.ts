import { createRoute, type z } from "@hono/zod-openapi";
import { listConversions } from "../../domain/relay/conversions.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";
import { conversionSchema, listConversionsQuery, presentConversion } from "../schemas/conversion.ts";

const listQuery = pageQuery.extend(listConversionsQuery);
const conversionPage = pageOf(conversionSchema, "ConversionPage");

export const listConversionsRoute = createRoute({
  method: "get",
  path: "/api/v1/conversions",
  tags: ["Conversions"],
  summary: "List inbound conversions",
  description:
    "Conversions partners reported to `/pb`, newest first, filtered by partner, capture, event, match status and time received. A key limited to some brands sees only conversions attached to captures of its brands; an unmatched one belongs to no brand, so only a key for every brand sees it.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of conversions, newest first.",
      content: { "application/json": { schema: conversionPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListConversionsResponse = z.infer<typeof conversionPage>;

export function registerListConversions(app: ApiApp): void {
  app.openapi(listConversionsRoute, async (c) => {
    const query = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listConversions({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "conversion", query),
        partnerId:
          query.partner === undefined ? undefined : queryId(ids, "partner", query.partner, "partner"),
        captureId: query.capture,
        event: query.event,
        status: query.status,
        since: query.since,
        until: query.until,
      },
    });
    return c.json(
      pageBody(ids, "conversion", page, (item) => presentConversion(ids, item)),
      200,
    );
  });
}
