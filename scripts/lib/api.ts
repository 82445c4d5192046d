/** A non-2xx answer from the leadrail API, with its problem+json body when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Calls the leadrail API with a Bearer key and returns the parsed JSON body. */
export async function callApi<T = unknown>(
  baseUrl: string,
  apiKey: string,
  method: string,
  pathname: string,
  body?: unknown,
): Promise<T> {
  const url = new URL(pathname, baseUrl);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot reach ${url.origin} (${reason}); is \`npm start\` running?`);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: keep the text for the error message.
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      parsed,
      `${method} ${url.pathname} → ${response.status}: ${describe(parsed)}`,
    );
  }
  return parsed as T;
}

function describe(body: unknown): string {
  if (body && typeof body === "object") {
    const problem = body as { title?: unknown; detail?: unknown; errors?: unknown };
    const parts = [problem.title, problem.detail].filter((part) => typeof part === "string");
    if (Array.isArray(problem.errors) && problem.errors.length > 0)
      parts.push(JSON.stringify(problem.errors));
    if (parts.length > 0) return parts.join(" — ");
  }
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

interface Published {
  landings: number;
  rules: number;
  next_cursor: string | null;
}

/** Publishes every landing (page by page) and the rules from Postgres to the EDGE_CONFIG KV namespace. */
export async function publishEdgeConfig(
  baseUrl: string,
  adminKey: string,
): Promise<{ landings: number; rules: number }> {
  let landings = 0;
  let cursor: string | null = null;
  for (;;) {
    const path: string =
      cursor === null
        ? "/api/v1/admin/publish"
        : `/api/v1/admin/publish?cursor=${encodeURIComponent(cursor)}`;
    const page: Published = await callApi<Published>(baseUrl, adminKey, "POST", path);
    landings += page.landings;
    cursor = page.next_cursor;
    if (cursor === null) return { landings, rules: page.rules };
  }
}
