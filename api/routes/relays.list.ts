import { createRoute, type z } from "@hono/zod-openapi";
import { listRelayJobs } from "../../domain/relay/jobs.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { pageBody, pageInput, pageOf, pageQuery, queryId, security } from "../schemas/common.ts";
import { listRelayJobsQuery, presentRelayJob, relayJobSchema } from "../schemas/relay-job.ts";

const listQuery = pageQuery.extend(listRelayJobsQuery);
const relayJobPage = pageOf(relayJobSchema, "RelayJobPage");

export const listRelayJobsRoute = createRoute({
  method: "get",
  path: "/api/v1/relays",
  tags: ["Relays"],
  summary: "List relay jobs",
  description:
    "Postbacks and lead relays, newest first, filtered by partner, buyer, status, event and creation time. A key limited to some brands sees only jobs of their captures, orders and buyers.",
  security,
  request: { query: listQuery },
  responses: {
    200: {
      description: "A page of relay jobs, newest first.",
      content: { "application/json": { schema: relayJobPage } },
    },
    ...problemResponses(401, 403, 422),
  },
});

export type ListRelayJobsResponse = z.infer<typeof relayJobPage>;

export function registerListRelayJobs(app: ApiApp): void {
  app.openapi(listRelayJobsRoute, async (c) => {
    const query = c.req.valid("query");
    const ids = c.var.ids;
    const page = await listRelayJobs({
      ctx: verbContext(c),
      input: {
        ...pageInput(ids, "relayJob", query),
        partnerId:
          query.partner === undefined ? undefined : queryId(ids, "partner", query.partner, "partner"),
        relayTargetId:
          query.relay_target === undefined
            ? undefined
            : queryId(ids, "relayTarget", query.relay_target, "relay_target"),
        status: query.status,
        event: query.event,
        since: query.since,
        until: query.until,
      },
    });
    return c.json(
      pageBody(ids, "relayJob", page, (item) => presentRelayJob(ids, item)),
      200,
    );
  });
}
