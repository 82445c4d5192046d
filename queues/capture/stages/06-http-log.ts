import { sql } from "drizzle-orm";
import { type Cte, recordset } from "../../../db/sql.ts";
import { header } from "../../../domain/capture/crawler.ts";
import type { CaptureMessage } from "../message.ts";
import type { DecidedCapture } from "../types.ts";

/** One `capture_http_logs` row: the request as received and the response the edge gave. */
export interface CaptureHttpLog {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | null;
  requestBodyBytes: number;
  requestBodyTruncated: boolean;
  userAgent: string | null;
  ip: string | null;
  responseStatus: number;
  responseLocation: string;
  responseHeaders: Record<string, string>;
  edgeDurationMs: number;
}

/** Stage 6, the full HTTP log. The visitor's address is the one Cloudflare saw (`cf-connecting-ip`). */
export function captureHttpLog(message: CaptureMessage): CaptureHttpLog {
  const { request, edge } = message;
  const forwarded = header(request.headers, "x-forwarded-for")?.split(",")[0]?.trim();
  return {
    method: request.method,
    url: request.url,
    requestHeaders: request.headers,
    requestBody: request.body,
    requestBodyBytes: request.bodyBytes,
    requestBodyTruncated: request.bodyTruncated,
    userAgent: header(request.headers, "user-agent"),
    ip: header(request.headers, "cf-connecting-ip") ?? (forwarded || null),
    responseStatus: edge.response.status,
    responseLocation: edge.response.location,
    responseHeaders: edge.response.headers,
    edgeDurationMs: edge.durationMs,
  };
}

export function httpLogInsert(captures: readonly DecidedCapture[]): Cte | null {
  if (captures.length === 0) return null;
  const rows = captures.map(({ message, httpLog: h }) => ({
    capture_id: message.captureId,
    method: h.method,
    url: h.url,
    request_headers: h.requestHeaders,
    request_body: h.requestBody,
    request_body_bytes: h.requestBodyBytes,
    request_body_truncated: h.requestBodyTruncated,
    user_agent: h.userAgent,
    ip: h.ip,
    response_status: h.responseStatus,
    response_location: h.responseLocation,
    response_headers: h.responseHeaders,
    edge_duration_ms: h.edgeDurationMs,
  }));
  const columns =
    "capture_id, method, url, request_headers, request_body, request_body_bytes, request_body_truncated, user_agent, ip, response_status, response_location, response_headers, edge_duration_ms";
  return {
    name: "http_log",
    body: sql`INSERT INTO capture_http_logs (${sql.raw(columns)})
      SELECT ${sql.raw(columns)}
      FROM ${recordset(
        rows,
        "capture_id uuid, method text, url text, request_headers jsonb, request_body text, request_body_bytes integer, request_body_truncated boolean, user_agent text, ip text, response_status smallint, response_location text, response_headers jsonb, edge_duration_ms double precision",
      )}`,
  };
}
