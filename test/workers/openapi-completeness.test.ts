import { describe, expect, it } from "vitest";
import type { ZodType } from "zod";
import { buildApiApp } from "../../api/app.ts";
import { call } from "../support/api.ts";

/**
 * Every operation of GET /openapi.json is documented well enough to call it from the reference alone: a
 * summary and a description, a schema for its request body and each 2xx response, and an example of each
 * (on the media type, or on the schema it names). Each example must also be accepted by the zod schema the
 * route declares, so an example cannot drift from what the API takes or answers. A gap fails naming its
 * operation; fill it with `.openapi({ example })` on the schema or an entry in api/schemas/examples.ts.
 */

interface Media {
  schema?: { $ref?: string } & Record<string, unknown>;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}
interface Operation {
  summary?: string;
  description?: string;
  requestBody?: { content?: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

const isJson = (contentType: string) => /^application\/(.+\+)?json$/.test(contentType);

/** The examples a media type shows: its own, else its schema's (after one `$ref`). */
function examplesOf(doc: Document, media: Media): unknown[] {
  if (media.example !== undefined) return [media.example];
  if (media.examples) return Object.values(media.examples).map((example) => example.value);
  const ref = media.schema?.$ref;
  const schema = ref ? doc.components.schemas[ref.replace("#/components/schemas/", "")] : media.schema;
  if (!schema) return [];
  if (schema.example !== undefined) return [schema.example];
  if (Array.isArray(schema.examples)) return schema.examples;
  return [];
}

interface DeclaredRoute {
  method: string;
  path: string;
  request?: { body?: { content?: Record<string, { schema?: unknown }> } };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** The zod schemas each route declared, by `METHOD path`, media type and status. */
function declaredSchemas(): Map<string, ZodType> {
  const schemas = new Map<string, ZodType>();
  const isZod = (value: unknown): value is ZodType =>
    typeof value === "object" && value !== null && "safeParse" in value;
  for (const definition of buildApiApp().openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const route = definition.route as unknown as DeclaredRoute;
    const operation = `${route.method.toUpperCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`;
    for (const [contentType, media] of Object.entries(route.request?.body?.content ?? {})) {
      if (isZod(media.schema)) schemas.set(`${operation} request ${contentType}`, media.schema);
    }
    for (const [status, response] of Object.entries(route.responses)) {
      for (const [contentType, media] of Object.entries(response.content ?? {})) {
        if (isZod(media.schema)) schemas.set(`${operation} ${status} ${contentType}`, media.schema);
      }
    }
  }
  return schemas;
}

/** What each operation lacks, by `METHOD path`. */
function gaps(doc: Document): Record<string, string[]> {
  const declared = declaredSchemas();
  const missing: Record<string, string[]> = {};
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const name = `${method.toUpperCase()} ${path}`;
      const lacks: string[] = [];
      if (!operation.summary?.trim()) lacks.push("summary");
      if (!operation.description?.trim()) lacks.push("description");
      const bodies: [string, string, Media][] = Object.entries(operation.requestBody?.content ?? {}).map(
        ([contentType, media]) => ["request", contentType, media],
      );
      const statuses = Object.keys(operation.responses).filter((status) => /^2\d\d$/.test(status));
      if (statuses.length === 0) lacks.push("a 2xx response");
      for (const status of statuses) {
        for (const [contentType, media] of Object.entries(operation.responses[status]?.content ?? {})) {
          bodies.push([status, contentType, media]);
        }
      }
      for (const [where, contentType, media] of bodies) {
        const label = `${where} ${contentType}`;
        if (!media.schema) lacks.push(`${label}: schema`);
        // A CSV export or a raw webhook body is shown by its schema; JSON gets an example to copy.
        if (!isJson(contentType)) continue;
        const examples = examplesOf(doc, media);
        if (examples.length === 0) {
          lacks.push(`${label}: example`);
          continue;
        }
        const schema = declared.get(`${name} ${label}`);
        for (const example of examples) {
          const parsed = schema?.safeParse(example);
          if (parsed && !parsed.success) {
            const issue = parsed.error.issues[0];
            lacks.push(
              `${label}: an example the schema accepts (${issue?.path.join(".")}: ${issue?.message})`,
            );
          }
        }
      }
      if (lacks.length > 0) missing[name] = lacks;
    }
  }
  return missing;
}

describe("OpenAPI completeness", () => {
  it("documents every operation with a summary, a description, body and 2xx schemas and valid examples", async () => {
    const response = await call("GET", "/openapi.json", { key: null });
    expect(response.status).toBe(200);
    const doc = JSON.parse(response.text) as Document;
    expect(Object.values(doc.paths).flatMap((operations) => Object.keys(operations)).length).toBeGreaterThan(
      100,
    );
    expect(gaps(doc)).toEqual({});
    // Two schemas registered under one name make a component that refers to itself (and shows neither).
    const selfReferring = Object.entries(doc.components.schemas)
      .filter(([name, schema]) =>
        (Array.isArray(schema.allOf) ? schema.allOf : []).some(
          (part: { $ref?: string }) => part.$ref === `#/components/schemas/${name}`,
        ),
      )
      .map(([name]) => name);
    expect(selfReferring).toEqual([]);
  });

  it("names the operation and what it lacks", () => {
    const doc: Document = {
      paths: {
        "/api/v1/things": {
          post: {
            summary: "Create a thing",
            requestBody: { content: { "application/json": { schema: { type: "object" } } } },
            responses: {
              201: { content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } } },
            },
          },
          get: {
            summary: "List things",
            description: "Every thing, oldest first.",
            responses: { 200: { content: { "application/json": { example: { data: [] } } } } },
          },
        },
      },
      components: { schemas: { Thing: { type: "object" } } },
    };
    expect(gaps(doc)).toEqual({
      "POST /api/v1/things": [
        "description",
        "request application/json: example",
        "201 application/json: example",
      ],
      "GET /api/v1/things": ["200 application/json: schema"],
    });
  });
});
