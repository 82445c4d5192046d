import { eq } from "drizzle-orm";
import { partners } from "../../db/schema/catalog.ts";
import { FieldErrors, NotFound } from "../core/errors.ts";
import { assertUnscoped } from "../core/scope.ts";
import type { VerbContext } from "../core/verb.ts";
import { buildRelayRequest, defaultTimeoutMs, isDelivered, maskHeaders } from "./delivery.ts";
import { fetchError, readCapped } from "./http.ts";
import { postbackValues } from "./postback-template.ts";

export type PostbackEvent = "lead_accepted" | "lead_restored" | "sale" | "refund";

/** Stands in for a capture id in a test postback: a valid UUID no capture has. */
export const sampleCaptureId = "00000000-0000-7000-8000-000000000000";
/** Sent with every test postback, so the network can tell it from a real conversion. */
export const testHeader = "X-Leadrail-Test";

export interface TestFireResult {
  event: PostbackEvent;
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
  response: { status: number; body: string; truncated: boolean } | null;
  latencyMs: number;
  error: string | null;
  succeeded: boolean;
}

/**
 * Sends one sample postback for a partner's current settings, exactly as the relay consumer would
 * (domain/relay/delivery.ts: method, body type, headers, signature), with sample macro values, and
 * returns the request (credentials masked) and the answer. Nothing is stored and the partner's
 * failure counter does not move. A `redirect` postback is sent as the visitor's browser would: a GET.
 */
export async function testFirePostback({
  ctx,
  input,
  now = new Date(),
  timeoutMs = defaultTimeoutMs,
}: {
  ctx: VerbContext;
  input: { id: number; event?: PostbackEvent | undefined };
  now?: Date;
  timeoutMs?: number;
}): Promise<TestFireResult> {
  assertUnscoped(ctx.principal);
  const [partner] = await ctx.db.select().from(partners).where(eq(partners.id, input.id));
  if (!partner) throw new NotFound("partner");
  if (partner.postbackUrl === null) {
    const errors = new FieldErrors();
    errors.add("postback_url", "missing", "The partner has no postback URL to test; set one first.");
    errors.throwIfAny();
  }
  const event = input.event ?? (partner.postbackEvents[0] as PostbackEvent | undefined) ?? "lead_accepted";
  const values = postbackValues({
    event,
    captureId: sampleCaptureId,
    marketing: {
      click_id: "test-click-id",
      transaction_id: "test-transaction-id",
      sub1: "test-sub1",
      sub2: "test-sub2",
      sub3: "test-sub3",
      sub4: "test-sub4",
      sub5: "test-sub5",
    },
    payout: partner.payout,
    currency: partner.payoutCurrency,
  });
  const headers: Record<string, string> = { [testHeader]: "1" };
  if (partner.postbackHeaders !== null && typeof partner.postbackHeaders === "object")
    Object.assign(headers, partner.postbackHeaders);
  const request = await buildRelayRequest(
    { kind: "postback", event, values, payload: null },
    {
      url: partner.postbackUrl,
      // A `redirect` postback is tested as the visitor's browser would follow it: a GET.
      method: partner.postbackMethod === "post" ? "post" : "get",
      contentType: partner.postbackContentType,
      headers,
      signingSecret: partner.signingSecret,
    },
    now,
  );

  const started = Date.now();
  let response: TestFireResult["response"] = null;
  let error: string | null = null;
  try {
    const answer = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await readCapped(answer);
    response = { status: answer.status, body: body.body, truncated: body.truncated };
  } catch (caught) {
    error = fetchError(caught, timeoutMs);
  }
  return {
    event,
    request: { ...request, headers: maskHeaders(request.headers) },
    response,
    latencyMs: Date.now() - started,
    error,
    succeeded: response !== null && isDelivered(response.status),
  };
}
