import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../domain/contacts/email.ts";
import { type EmailEvent, emailEventsMessageSchema } from "../../domain/contacts/email-event-message.ts";
import {
  fromSendGrid,
  packEmailEvents,
  queueLimits,
  sendGridBrandRef,
} from "../../domain/contacts/email-events.ts";
import { eventEmailHash } from "../../queues/events/email.ts";
import { sendGridBatch } from "../support/sendgrid.ts";

const brands: Record<string, number> = { Xk3G7QAe: 17 };
const decode = (ref: string): number | null => brands[ref] ?? null;

const batch = sendGridBatch({
  email: "Ana.Lima+news@GMAIL.com",
  bouncedEmail: "gone@example.org",
  blockedEmail: "busy@example.net",
  brand: "Xk3G7QAe",
  timestamp: 1_763_820_000,
  tag: "t1",
});

describe("fromSendGrid", () => {
  it("maps every SendGrid event type to the neutral vocabulary, in order", () => {
    const { events, skipped } = fromSendGrid(batch, decode);
    expect(skipped).toEqual({});
    expect(events.map((event) => [event.type, event.bounceType])).toEqual([
      ["processed", null],
      ["deferred", null],
      ["delivered", null],
      ["open", null],
      ["click", null],
      ["group_unsubscribe", null],
      ["group_resubscribe", null],
      ["spam_report", null],
      ["unsubscribe", null],
      ["bounce", "hard"],
      ["dropped", null],
      ["bounce", "soft"],
    ]);
    expect(events.every((event) => event.brandId === 17)).toBe(true);
  });

  it("keeps the fields the consumer stores and the raw event without the address", () => {
    const { events } = fromSendGrid(batch, decode);
    expect(events[4]).toEqual({
      id: "t1-click-4",
      type: "click",
      email: "Ana.Lima+news@GMAIL.com",
      occurredAt: "2025-11-22T14:00:04.000Z",
      brandId: 17,
      messageId: "14c5d75ce93.dfd.64b469.filter0001.16648.t1.0",
      bounceType: null,
      url: "https://shop.example/autumn?utm_source=sendgrid",
      reason: null,
      groupId: null,
      raw: {
        timestamp: 1_763_820_004,
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-t1>",
        event: "click",
        category: ["newsletter", "autumn-2026"],
        sg_event_id: "t1-click-4",
        sg_message_id: "14c5d75ce93.dfd.64b469.filter0001.16648.t1.0",
        leadrail_brand: "Xk3G7QAe",
        campaign: "autumn-2026",
        useragent:
          "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
        ip: "203.0.113.7",
        url: "https://shop.example/autumn?utm_source=sendgrid",
        url_offset: { index: 0, type: "html" },
      },
    });
    expect(events[1]?.reason).toBe("400 try again later");
    expect(events[5]?.groupId).toBe("42");
    expect(events[9]?.reason).toBe("550 5.1.1 The email account that you tried to reach does not exist.");
    for (const event of events) expect(JSON.stringify(event.raw)).not.toMatch(/@(gmail|example)\./i);
    // What the queue carries parses as the consumer parses it.
    expect(
      emailEventsMessageSchema.safeParse({ v: 1, type: "email", platform: "sendgrid", events }).success,
    ).toBe(true);
  });

  it("finds the brand in the custom argument, else in a leadrail_brand: category; unknown refs decode to null", () => {
    expect(sendGridBrandRef({ leadrail_brand: "Xk3G7QAe", category: "leadrail_brand:other" })).toBe(
      "Xk3G7QAe",
    );
    expect(sendGridBrandRef({ category: ["news", "leadrail_brand:Xk3G7QAe"] })).toBe("Xk3G7QAe");
    expect(sendGridBrandRef({ category: "leadrail_brand:Xk3G7QAe" })).toBe("Xk3G7QAe");
    expect(sendGridBrandRef({ category: "news" })).toBeNull();
    const byCategory = batch.map(({ leadrail_brand: _ignored, ...event }) => ({
      ...event,
      category: ["newsletter", "leadrail_brand:Xk3G7QAe"],
    }));
    expect(fromSendGrid(byCategory, decode).events.map((event) => event.brandId)).toEqual(
      batch.map(() => 17),
    );
    const unknown = batch.map((event) => ({ ...event, leadrail_brand: "nope" }));
    expect(fromSendGrid(unknown, decode).events.map((event) => event.brandId)).toEqual(batch.map(() => null));
  });

  it("skips and counts what it cannot use instead of refusing the batch", () => {
    const good = batch[2] ?? {};
    const { events, skipped } = fromSendGrid(
      [
        good,
        "text",
        null,
        [good],
        { ...good, event: "machine_opened" },
        { ...good, sg_event_id: undefined },
        { ...good, email: "" },
        { ...good, timestamp: "soon" },
        // Year 0 (Postgres has none), before 1970, after 2099: a sender's broken clock.
        { ...good, timestamp: -62_167_219_200 },
        { ...good, timestamp: -1 },
        { ...good, timestamp: 4_102_444_800 },
        { ...good, reason: "x".repeat(70_000), raw_padding: "y".repeat(70_000) },
      ],
      decode,
    );
    expect(events).toHaveLength(1);
    expect(skipped).toEqual({
      not_an_object: 3,
      unknown_event: 1,
      no_event_id: 1,
      no_email: 1,
      bad_timestamp: 4,
      too_large: 1,
    });
  });
});

describe("eventEmailHash", () => {
  it("hashes the address normalised as captures are, or trimmed and lower-cased when it does not normalise", () => {
    expect(eventEmailHash("  Ana.Lima+news@GoogleMail.com ")).toBe(sha256Hex("analima@gmail.com"));
    expect(eventEmailHash(" Not An Address ")).toBe(sha256Hex("not an address"));
  });
});

describe("packEmailEvents", () => {
  const event = (n: number): EmailEvent => ({
    id: `e-${n}`,
    type: "open",
    email: `reader-${n}@example.com`,
    occurredAt: "2026-11-22T10:00:00.000Z",
    brandId: null,
    messageId: null,
    bounceType: null,
    url: null,
    reason: "r".repeat(900),
    groupId: null,
    raw: {},
  });

  it("keeps every message under the size limit and every call within Queues' limits, in order", () => {
    const events = Array.from({ length: 3000 }, (_, n) => event(n));
    const calls = packEmailEvents("normalised", events);
    const messages = calls.flat();
    expect(messages.flatMap((message) => message.events.map((e) => e.id))).toEqual(events.map((e) => e.id));
    for (const message of messages) {
      expect(new TextEncoder().encode(JSON.stringify(message)).byteLength).toBeLessThanOrEqual(
        queueLimits.messageBytes,
      );
      expect(message).toMatchObject({ v: 1, type: "email", platform: "normalised" });
    }
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(100);
      expect(new TextEncoder().encode(JSON.stringify(call)).byteLength).toBeLessThanOrEqual(
        queueLimits.batchBytes,
      );
    }
    expect(messages.length).toBeGreaterThan(20);
  });

  it("puts at most batchMessages messages in one call", () => {
    const calls = packEmailEvents(
      "sendgrid",
      Array.from({ length: 250 }, (_, n) => event(n)),
      { messageBytes: 1_500, batchBytes: 10_000_000, batchMessages: 100 },
    );
    expect(calls.map((call) => call.length)).toEqual([100, 100, 50]);
    expect(calls.flat().every((message) => message.events.length === 1)).toBe(true);
    expect(packEmailEvents("sendgrid", [])).toEqual([]);
  });
});
