import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DbHandle, openDb } from "../../db/client.ts";
import { captures } from "../../db/schema/capture.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import type { CaptureMessage } from "../../queues/capture/message.ts";
import { fitMessage, messageBudgetBytes } from "../../workers/edge/capture-message.ts";
import { enqueueCapture, maxBatchBytes, maxBatchMessages } from "../../workers/edge/capture-outbox.ts";
import { handleEdgeRequest } from "../../workers/edge/router.ts";
import { captureMessage, type Tenant } from "../support/capture-message.ts";
import {
  codec,
  errorsDuring,
  freshEmail,
  freshId,
  harness,
  landingUrl,
  rule,
  seedLanding,
} from "./edge-harness.ts";

/** Capture messages of concurrent requests go out together in `sendBatch` calls within the Queues limits. */

const tenant: Tenant = {
  brandId: 1,
  themeId: 2,
  partnerId: 3,
  productId: 4,
  landingId: 5,
  landingRef: "outbox",
  fallbackUrl: "https://fallback.outbox.test/",
};

/** A queue that records each `sendBatch` call's messages, as JSON, or fails every call. */
function recordingQueue(fail = false) {
  const calls: { body: CaptureMessage; contentType: string | undefined }[][] = [];
  const queue = {
    async send() {
      throw new Error("the outbox sends with sendBatch");
    },
    async sendBatch(messages: Iterable<MessageSendRequest<CaptureMessage>>) {
      const list = [...messages];
      if (fail) throw new Error("queue unavailable");
      calls.push(
        list.map(({ body, contentType }) => ({ body: JSON.parse(JSON.stringify(body)), contentType })),
      );
    },
  } as unknown as Queue;
  return { queue, calls };
}

const jsonBytes = (value: unknown): number => new TextEncoder().encode(JSON.stringify(value)).byteLength;

describe("the capture outbox", () => {
  it("sends a lone capture on its own, within its request's waitUntil", async () => {
    const { queue, calls } = recordingQueue();
    const message = captureMessage(tenant);
    const ctx = createExecutionContext();
    enqueueCapture(queue, ctx, fitMessage(message));
    expect(calls).toEqual([]);
    await waitOnExecutionContext(ctx);
    expect(calls).toEqual([[{ body: message, contentType: "json" }]]);
  });

  it("sends a full batch at once from the request that filled it, and the rest after the delay", async () => {
    const { queue, calls } = recordingQueue();
    const messages = Array.from({ length: 2 * maxBatchMessages + 50 }, () => captureMessage(tenant));
    const contexts = messages.map((message) => {
      const ctx = createExecutionContext();
      enqueueCapture(queue, ctx, fitMessage(message));
      return ctx;
    });
    await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));
    expect(calls.map((call) => call.length)).toEqual([100, 100, 50]);
    expect(calls.flat().map(({ body }) => body.captureId)).toEqual(messages.map((m) => m.captureId));
  });

  it("keeps each sendBatch under 256 KB", async () => {
    const { queue, calls } = recordingQueue();
    // Five messages cut to the 100 KB message budget, in ASCII and in Hangul (3 bytes a character):
    // two fit in a batch, a third would not.
    const fitted = Array.from({ length: 5 }, (_, index) => {
      const message = captureMessage(tenant);
      message.request.body = index % 2 === 0 ? "x".repeat(150_000) : "가".repeat(33_500);
      return fitMessage(message);
    });
    const messages = fitted.map(({ message }) => message);
    for (const message of messages) {
      expect(jsonBytes(message)).toBeLessThanOrEqual(messageBudgetBytes);
      // Over 90 KB each: three of them would exceed the batch limit.
      expect(jsonBytes(message)).toBeGreaterThan(90_000);
    }
    const ctx = createExecutionContext();
    for (const message of fitted) enqueueCapture(queue, ctx, message);
    await waitOnExecutionContext(ctx);
    expect(calls.map((call) => call.length)).toEqual([2, 2, 1]);
    for (const call of calls) {
      expect(call.reduce((sum, { body }) => sum + jsonBytes(body) + 128, 0)).toBeLessThanOrEqual(
        maxBatchBytes,
      );
    }
    expect(calls.flat().map(({ body }) => body.captureId)).toEqual(messages.map((m) => m.captureId));
  });

  it("logs every capture of a failed batch by its id alone", async () => {
    const { queue } = recordingQueue(true);
    const messages = Array.from({ length: 3 }, () => captureMessage(tenant));
    const logged = await errorsDuring(async () => {
      const ctx = createExecutionContext();
      for (const message of messages) enqueueCapture(queue, ctx, fitMessage(message));
      await waitOnExecutionContext(ctx);
    });
    expect(logged.map((line) => JSON.parse(line))).toEqual(
      messages.map((message) => ({
        event: "capture.enqueue_failed",
        captureId: message.captureId,
        error: "Error",
      })),
    );
  });
});

describe("concurrent captures", () => {
  it("sends every capture of many concurrent requests exactly once, in batches", async () => {
    const landing = await seedLanding();
    const h = await harness({ rules: [rule({ targetUrl: "https://offers.test/batched?c={capture_id}" })] });
    const count = 240;
    const calls = Array.from({ length: count }, async () => {
      const ctx = createExecutionContext();
      const response = await handleEdgeRequest(
        new Request(landingUrl(landing.ref), {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: `email=${encodeURIComponent(freshEmail())}`,
        }),
        h.env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return response;
    });
    const responses = await Promise.all(calls);
    const ids = responses.map((response) => response.headers.get("x-capture-id") ?? "");
    expect(responses.map((response) => response.headers.get("location"))).toEqual(
      ids.map((id) => `https://offers.test/batched?c=${id}`),
    );
    const sentIds = h.sent.map(({ body }) => (body as CaptureMessage).captureId);
    expect(new Set(ids).size).toBe(count);
    expect([...sentIds].sort()).toEqual([...ids].sort());
    expect(h.batches.reduce((sum, size) => sum + size, 0)).toBe(count);
    expect(Math.max(...h.batches)).toBeLessThanOrEqual(maxBatchMessages);
  });

  it("redirects every visitor and logs each capture when the batch send fails", async () => {
    const landing = await seedLanding();
    const h = await harness({ failSend: true, rules: [rule({ targetUrl: "https://offers.test/failing" })] });
    const emails = Array.from({ length: 30 }, () => freshEmail());
    let responses: Response[] = [];
    const logged = await errorsDuring(async () => {
      responses = await Promise.all(
        emails.map(async (email) => {
          const ctx = createExecutionContext();
          const response = await handleEdgeRequest(
            new Request(landingUrl(landing.ref, `email=${email}`)),
            h.env,
            ctx,
          );
          await waitOnExecutionContext(ctx);
          return response;
        }),
      );
    });
    expect(responses.map((response) => [response.status, response.headers.get("location")])).toEqual(
      emails.map(() => [302, "https://offers.test/failing"]),
    );
    const ids = responses.map((response) => response.headers.get("x-capture-id"));
    const entries = logged.map((line) => JSON.parse(line) as { captureId: string });
    expect(entries.map(({ captureId }) => captureId).sort()).toEqual([...ids].sort());
    expect(new Set(entries.map((entry) => JSON.stringify({ ...entry, captureId: "" })))).toEqual(
      new Set([JSON.stringify({ event: "capture.enqueue_failed", captureId: "", error: "Error" })]),
    );
    for (const email of emails) expect(logged.join("\n")).not.toContain(email);
  });
});

/**
 * Through the Worker's own fetch entry, each request is a request context of its own, and the flush
 * runs in whichever request scheduled it: every capture still reaches the real queue and its consumer.
 */
describe("concurrent captures through the Worker entry", () => {
  let handle: DbHandle;
  beforeAll(() => {
    handle = openDb(dbConfig(env), 2);
  });
  afterAll(async () => {
    await handle.close();
  });
  it("stores every capture of concurrent requests to an unknown landing", async () => {
    const landingRef = codec.encode("landing", freshId());
    const responses = await Promise.all(
      Array.from({ length: 40 }, () =>
        exports.default.fetch(
          new Request(landingUrl(landingRef, `email=${freshEmail()}`), { redirect: "manual" }),
        ),
      ),
    );
    const ids = responses.map((response) => response.headers.get("x-capture-id") ?? "");
    expect(new Set(ids).size).toBe(40);
    let stored: string[] = [];
    // The consumer commits each batch within a few seconds; give it up to 20 before reporting what is missing.
    for (let attempt = 0; attempt < 100 && stored.length < ids.length; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const rows = await handle.db
        .select({ id: captures.id })
        .from(captures)
        .where(inArray(captures.id, ids));
      stored = rows.map((row) => row.id);
    }
    expect(stored.sort()).toEqual([...ids].sort());
  });
});
