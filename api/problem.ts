import { z } from "@hono/zod-openapi";
import { type FieldError, fieldErrorCategories } from "../domain/core/errors.ts";

/**
 * Every error the API answers with: RFC 9457 problem details. `type` is a stable URN per
 * problem kind; clients branch on it (or on `status`), never on `title` or `detail`.
 */
export const problemCodes = {
  bad_request: { status: 400, title: "Bad request" },
  unauthorized: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  validation_failed: { status: 422, title: "Validation failed" },
  internal: { status: 500, title: "Internal error" },
  unavailable: { status: 503, title: "Service unavailable" },
} as const;
export type ProblemCode = keyof typeof problemCodes;
export type ProblemStatus = (typeof problemCodes)[ProblemCode]["status"];

export const problemType = (code: ProblemCode): string => `urn:leadrail:problem:${code.replaceAll("_", "-")}`;

export const fieldErrorSchema = z
  .object({
    field: z.string().openapi({ example: "fallback_url" }),
    category: z.enum(fieldErrorCategories),
    message: z.string(),
  })
  .openapi("FieldError");

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: problemType("validation_failed") }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().openapi({ description: "The request path that failed." }),
    request_id: z.string(),
    errors: z
      .array(fieldErrorSchema)
      .optional()
      .openapi({ description: "Every bad field (validation problems)." }),
  })
  .openapi("Problem");
export type Problem = z.infer<typeof problemSchema>;

/** An error the API itself raises (authentication, protocol); domain errors are mapped separately. */
export class ApiProblem extends Error {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = "ApiProblem";
  }
}

export function problemBody(
  code: ProblemCode,
  detail: string,
  instance: string,
  requestId: string,
  errors?: FieldError[],
): Problem {
  const { status, title } = problemCodes[code];
  return {
    type: problemType(code),
    title,
    status,
    detail,
    instance,
    request_id: requestId,
    ...(errors ? { errors } : {}),
  };
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

const problemContent = { "application/problem+json": { schema: problemSchema } };

const descriptions: Record<number, string> = {
  400: "Malformed request (e.g. the body is not JSON).",
  401: "Missing, unknown or revoked API key.",
  403: "The API key may not do this (other brand, or not an admin).",
  404: "No such resource.",
  409: "A unique value is already taken.",
  413: "The body is larger than 1 MB.",
  415: "The body is not JSON.",
  422: "Invalid input; `errors` names every bad field.",
  503: "A dependency failed; the detail says what was saved.",
};

/** Problem responses for a route's OpenAPI description. */
export function problemResponses<S extends keyof typeof descriptions>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: descriptions[status] ?? "Error.", content: problemContent },
    ]),
  ) as Record<S, { description: string; content: typeof problemContent }>;
}
