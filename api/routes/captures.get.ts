import { createRoute, z } from "@hono/zod-openapi";
import { getCapture } from "../../domain/capture/captures.ts";
import { captureConversionLimit } from "../../domain/relay/conversions.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { captureSchema, presentCapture } from "../schemas/capture.ts";
import { security } from "../schemas/common.ts";

const params = z.object({
  id: z.uuid().openapi({
    param: { name: "id", in: "path" },
    description: "The capture id (the `X-Capture-Id` header of the redirect).",
    example: "019a8c7e-3f2b-7c4d-9a1e-2b3c4d5e6f70",
  }),
});

export const getCaptureRoute = createRoute({
  method: "get",
  path: "/api/v1/captures/{id}",
  tags: ["Captures"],
  summary: "Get a capture",
  description: `Everything the pipeline recorded: outcome, field errors, knowledge flags at the edge and after the write, geo, marketing parameters, the HTTP exchange, relay jobs and the conversions partners reported for it (the newest ${captureConversionLimit}; \`conversions_next_cursor\` continues in \`GET /api/v1/conversions\`). 404 until the consumer has stored it.`,
  security,
  request: { params },
  responses: {
    200: { description: "The capture.", content: { "application/json": { schema: captureSchema } } },
    ...problemResponses(401, 403, 404, 422),
  },
});

export type GetCaptureResponse = z.infer<typeof captureSchema>;

export function registerGetCapture(app: ApiApp): void {
  app.openapi(getCaptureRoute, async (c) => {
    const detail = await getCapture({ ctx: verbContext(c), input: { id: c.req.valid("param").id } });
    return c.json(presentCapture(c.var.ids, detail), 200);
  });
}
