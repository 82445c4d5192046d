import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { captureMarketing, captures } from "../../db/schema/capture.ts";
import { uuidv7 } from "../../domain/core/uuid-v7.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { canonicalString, signConversion } from "../../domain/relay/inbound-conversion.ts";
import { processEventsBatch } from "../../queues/events/handler.ts";
import worker from "../../workers/index.ts";
import { type ApiResponse, rand, recordingQueue, type Tenant, withDb } from "./api.ts";

/** Unix seconds now, as a partner puts it in `ts`. */
export const unixNow = (): string => String(Math.floor(Date.now() / 1000));

/** The parameters signed with `key` as a partner signs a `/pb` call, `sig` added last. */
export async function signedConversion(
  params: Record<string, string>,
  key: string,
): Promise<Record<string, string>> {
  const sig = await signConversion(key, canonicalString(Object.entries(params)));
  return { ...params, sig };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export interface PbCall extends ApiResponse<any> {
  /** What the edge put on the (recording) events queue. */
  sent: unknown[];
}

/** Calls `/pb` through the Worker's real `fetch` entry with a recording events queue. */
export async function callPb(
  params: Record<string, string>,
  init: { method?: "GET" | "POST"; form?: boolean; env?: Partial<Cloudflare.Env> } = {},
): Promise<PbCall> {
  const queue = recordingQueue();
  const query = new URLSearchParams(params).toString();
  const request: Request<unknown, IncomingRequestCfProperties> =
    init.method === "POST"
      ? new Request("https://edge.leadrail.test/pb", {
          method: "POST",
          headers: {
            "content-type": init.form === false ? "application/json" : "application/x-www-form-urlencoded",
          },
          body: init.form === false ? JSON.stringify(params) : query,
        })
      : new Request(`https://edge.leadrail.test/pb?${query}`);
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, ...init.env, EVENTS_QUEUE: queue }, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text),
    text,
    sent: queue.sent,
  };
}

/** Delivers message bodies to the real events consumer as one batch; what it reported and acked. */
export async function deliverEvents(bodies: readonly unknown[]) {
  const batch = createMessageBatch(
    queueNames.events,
    bodies.map((body, index) => ({ id: `ev-${index}-${rand()}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  const report = await processEventsBatch(batch, env);
  const result = await getQueueResult(batch, ctx);
  return { report, acked: result.explicitAcks.length, retried: result.retryMessages.length };
}

/**
 * A stored capture of the tenant's landing and brand with the click id and/or transaction id a
 * conversion can match, for the partner given (the tenant's unless told). Returns its id.
 */
export async function insertAttributedCapture(
  tenant: Tenant,
  fields: { clickId?: string; transactionId?: string; partnerId?: number },
): Promise<string> {
  const id = uuidv7();
  await withDb(async (db) => {
    await db.insert(captures).values({
      id,
      receivedAt: new Date(),
      landingRef: tenant.landing.id,
      landingId: tenant.internal.landing,
      brandId: tenant.internal.brand,
      partnerId: fields.partnerId ?? tenant.internal.partner,
      outcome: "new",
    });
    await db.insert(captureMarketing).values({
      captureId: id,
      clickId: fields.clickId ?? null,
      transactionId: fields.transactionId ?? null,
    });
  });
  return id;
}
