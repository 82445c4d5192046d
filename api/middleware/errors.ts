import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { DomainError } from "../../domain/core/errors.ts";
import type { HonoEnv } from "../hono-env.ts";
import { ApiProblem, type ProblemCode, problemBody, problemResponse } from "../problem.ts";

const domainCodes: Record<DomainError["kind"], ProblemCode> = {
  not_found: "not_found",
  conflict: "conflict",
  validation_failed: "validation_failed",
  forbidden: "forbidden",
  unavailable: "unavailable",
};

const httpCodes: Partial<Record<number, { code: ProblemCode; detail: string }>> = {
  400: { code: "bad_request", detail: "The request body is not valid JSON." },
  404: { code: "not_found", detail: "No such resource." },
  405: { code: "method_not_allowed", detail: "This method is not allowed here." },
  413: { code: "payload_too_large", detail: "The request body is larger than 1 MB." },
  415: { code: "unsupported_media_type", detail: "Send the body as application/json." },
};

const requestIdOf = (c: Context<HonoEnv>): string => c.get("requestId") ?? "unknown";

/** What may be logged about an unexpected error: its kind and Postgres code, never query parameters (PII). */
function describeForLog(error: unknown): Record<string, unknown> {
  const chain: Record<string, unknown>[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth += 1) {
    const pg = current as Error & { code?: unknown; constraint?: unknown };
    chain.push({
      name: current.name,
      ...(typeof pg.code === "string" ? { code: pg.code } : {}),
      ...(typeof pg.constraint === "string" ? { constraint: pg.constraint } : {}),
      // A drizzle query error's message carries the parameters; keep only its first line (the SQL).
      message: current.message.split("\n")[0]?.slice(0, 300),
    });
    current = current.cause;
  }
  return { chain };
}

/** Maps every thrown error to problem+json; unexpected ones become an opaque 500 and a log line. */
export const onError: ErrorHandler<HonoEnv> = (error, c) => {
  const instance = new URL(c.req.url).pathname;
  const requestId = requestIdOf(c);
  if (error instanceof ApiProblem) {
    return problemResponse(
      problemBody(error.code, error.detail, instance, requestId, error.errors),
      error.headers,
    );
  }
  if (error instanceof DomainError) {
    const errors =
      "errors" in error && Array.isArray(error.errors) && error.errors.length > 0 ? error.errors : undefined;
    if (error.kind === "unavailable") {
      console.error(
        JSON.stringify({ event: "api.unavailable", requestId, instance, ...describeForLog(error) }),
      );
    }
    return problemResponse(problemBody(domainCodes[error.kind], error.message, instance, requestId, errors));
  }
  if (error instanceof HTTPException) {
    const known = httpCodes[error.status];
    if (known) return problemResponse(problemBody(known.code, known.detail, instance, requestId));
  }
  console.error(
    JSON.stringify({
      event: "api.error",
      requestId,
      method: c.req.method,
      instance,
      ...describeForLog(error),
    }),
  );
  return problemResponse(
    problemBody("internal", "Something went wrong on our side; quote the request id.", instance, requestId),
  );
};

export const onNotFound: NotFoundHandler<HonoEnv> = (c) =>
  problemResponse(problemBody("not_found", "No such endpoint.", new URL(c.req.url).pathname, requestIdOf(c)));
