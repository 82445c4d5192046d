import { createRoute, z } from "@hono/zod-openapi";
import { relayEvent } from "../../db/schema/relay.ts";
import { testFirePostback } from "../../domain/relay/postback-test-fire.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { idParams, pathId, security } from "../schemas/common.ts";

const body = z
  .strictObject({
    event: z
      .enum(relayEvent.enumValues)
      .optional()
      .openapi({ description: "The event to simulate; the partner's first postback event when not given." }),
  })
  .openapi("TestPostback");

const answer = z
  .object({
    event: z.enum(relayEvent.enumValues),
    request: z.object({
      method: z.string(),
      url: z.string(),
      headers: z.record(z.string(), z.string()).openapi({ description: "As sent, credentials masked." }),
      body: z.string().nullable(),
    }),
    response: z
      .object({
        status: z.number().int(),
        body: z.string().openapi({ description: "Capped at 4096 characters." }),
        truncated: z.boolean(),
      })
      .nullable()
      .openapi({ description: "Null when no HTTP answer came (see error)." }),
    latency_ms: z.number().int(),
    error: z.string().nullable(),
    succeeded: z.boolean().openapi({ description: "A 2xx answer." }),
  })
  .openapi("TestPostbackResult");

export const testPostbackRoute = createRoute({
  method: "post",
  path: "/api/v1/partners/{id}/postbacks/test",
  tags: ["Partners"],
  summary: "Send a test postback",
  description:
    "Sends one sample postback with the partner's current settings (URL template, method, body type, headers, signature) and sample macro values (`click_id` test-click-id, `transaction_id` test-transaction-id, the partner's payout and currency, a capture id of zeros, `sub1`…`sub5` test-sub1…), marked with `X-Leadrail-Test: 1`. Answers with the request as sent (credentials masked) and the partner's answer, whatever it was; nothing is stored and the failure counter does not move. A `redirect` postback is sent as a GET. Needs a key for all brands.",
  security,
  request: {
    params: idParams("partner"),
    body: { required: false, content: { "application/json": { schema: body } } },
  },
  responses: {
    200: { description: "What was sent and answered.", content: { "application/json": { schema: answer } } },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422),
  },
});

export type TestPostbackRequest = z.input<typeof body>;
export type TestPostbackResponse = z.infer<typeof answer>;

export function registerTestPostback(app: ApiApp): void {
  app.openapi(testPostbackRoute, async (c) => {
    const id = pathId(c.var.ids, "partner", c.req.valid("param").id);
    const input = c.req.valid("json") ?? {};
    const result = await testFirePostback({ ctx: verbContext(c), input: { id, event: input.event } });
    return c.json(
      {
        event: result.event,
        request: result.request,
        response: result.response,
        latency_ms: result.latencyMs,
        error: result.error,
        succeeded: result.succeeded,
      },
      200,
    );
  });
}
