import { createRoute, z } from "@hono/zod-openapi";
import { classifyAccounts } from "../../domain/acquisition/classify-accounts.ts";
import { FieldErrors } from "../../domain/core/errors.ts";
import { type ApiApp, verbContext } from "../hono-env.ts";
import { problemResponses } from "../problem.ts";
import { hashId, security } from "../schemas/common.ts";

const classifyBody = z
  .strictObject({
    brand: hashId("Only this brand's accounts.").optional(),
    accounts: z
      .array(hashId("Account id."))
      .min(1)
      .max(1000)
      .optional()
      .openapi({ description: "Only these accounts." }),
    limit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(500)
      .openapi({ description: "Accounts in this chunk (1–1000).", example: 500 }),
    cursor: hashId("`next_cursor` of the previous chunk.").optional(),
  })
  .openapi("ClassifyAccounts");

const classifyResult = z
  .object({
    examined: z.number().int().openapi({ description: "Accounts looked at in this chunk." }),
    changed: z
      .number()
      .int()
      .openapi({ description: "Accounts whose classification was written (first or different)." }),
    next_cursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next chunk; null after the last." }),
  })
  .openapi("ClassifyAccountsResult");

export const classifyAccountsRoute = createRoute({
  method: "post",
  path: "/api/v1/acquisition/classify",
  tags: ["Acquisition"],
  summary: "Classify a chunk of accounts by hand",
  description:
    "Runs one chunk of the nightly acquisition classification: the accounts after `cursor` (in id order) that the API key may see, classified by the rules and influencers as they are now. Only changed classifications are written, each with a history row; running it again changes nothing.",
  security,
  request: { body: { required: true, content: { "application/json": { schema: classifyBody } } } },
  responses: {
    200: {
      description: "What the chunk changed.",
      content: { "application/json": { schema: classifyResult } },
    },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

export type ClassifyAccountsRequest = z.input<typeof classifyBody>;
export type ClassifyAccountsResponse = z.infer<typeof classifyResult>;

export function registerClassifyAccounts(app: ApiApp): void {
  app.openapi(classifyAccountsRoute, async (c) => {
    const body = c.req.valid("json");
    const ids = c.var.ids;
    const errors = new FieldErrors();
    const decode = (kind: "brand" | "account", value: string | undefined, field: string) => {
      if (value === undefined) return undefined;
      const id = ids.decode(kind, value);
      if (id === null)
        errors.add(field, "malformed", `Not ${kind === "brand" ? "a brand id" : "an account id"}.`);
      return id ?? undefined;
    };
    const brandId = decode("brand", body.brand, "brand");
    const afterId = decode("account", body.cursor, "cursor");
    const accountIds = body.accounts?.map(
      (value, index) => decode("account", value, `accounts.${index}`) ?? 0,
    );
    errors.throwIfAny();
    const result = await classifyAccounts({
      ctx: verbContext(c),
      input: { brandId, accountIds, limit: body.limit, afterId },
    });
    return c.json(
      {
        examined: result.examined,
        changed: result.changed,
        next_cursor: result.nextAfterId === null ? null : ids.encode("account", result.nextAfterId),
      },
      200,
    );
  });
}
