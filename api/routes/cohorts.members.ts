import { createRoute, z } from "@hono/zod-openapi";
import { cohortMemberExport, cohortMembers } from "../../domain/cohorts/cohorts.ts";
import { csvMediaType, csvStream, wantsCsv } from "../csv.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import {
  cohortMemberPage,
  memberCsvColumns,
  memberCsvRow,
  memberListQuery,
  presentCohortMember,
} from "../schemas/cohort.ts";
import { idParams, pageBody, pageInput, pathId, security } from "../schemas/common.ts";

/** Rows a CSV export reads at a time. */
export const csvExportPageSize = 1000;

export const cohortMembersRoute = createRoute({
  method: "get",
  path: "/api/v1/cohorts/{id}/members",
  tags: ["Cohorts"],
  summary: "List a cohort's members",
  description:
    "The accounts the cohort's definition selects now, by account (`cursor` is the last account seen). With `?format=csv` or `Accept: text/csv`: every member (after `cursor`) as one CSV document (RFC 4180, a header record, CRLF), streamed 1,000 at a time, with the JSON member's fields as columns (`market.id`, `market.code`, `market.country` for the market).",
  security,
  request: { params: idParams("cohort"), query: memberListQuery },
  responses: {
    200: {
      description: "A page of members, or all of them as CSV.",
      content: {
        "application/json": { schema: cohortMemberPage },
        "text/csv": { schema: z.string().openapi({ example: `${memberCsvColumns.join(",")}\r\n` }) },
      },
    },
    ...problemResponses(401, 403, 404, 422),
  },
});

export type CohortMembersResponse = z.infer<typeof cohortMemberPage>;

export function registerCohortMembers(app: ApiApp): void {
  app.openapi(cohortMembersRoute, async (c) => {
    const ids = c.var.ids;
    const id = pathId(ids, "cohort", c.req.valid("param").id);
    const query = c.req.valid("query");
    const page = pageInput(ids, "account", query);
    if (wantsCsv(query.format, c.req.header("accept"))) {
      const pages = await cohortMemberExport({
        ctx: verbContext(c),
        input: { id, after: page.after, pageSize: csvExportPageSize },
      });
      const csv = csvStream(memberCsvColumns, pages, (member) => memberCsvRow(ids, member));
      // The request's database closes once the export has been read to its end.
      c.var.defer(csv.finished);
      return c.body(csv.body, 200, { "content-type": csvMediaType });
    }
    const members = await cohortMembers({ ctx: verbContext(c), input: { id, page } });
    return c.json(
      pageBody(ids, "account", members, (member) => presentCohortMember(ids, member)),
      200,
    );
  });
}
