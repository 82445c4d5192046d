import { describe, expect, it } from "vitest";
import type { Env } from "../../domain/platform/env.ts";
import { call, expectProblem, ids, ok } from "../support/api.ts";
import { addRecipient, createMessagingTenant, reconfirmText } from "../support/messaging.ts";

/* Brand messaging settings, message templates, consent re-confirmation and the receipts webhook's guards. */

const settings = {
  sender_name: "아크미",
  sender_contact: "02-930-2266",
  opt_out_number: "080-123-4567",
  sender_number: "02-930-2266",
  kakao_sender_key: "KA01PF_acme",
  frequency_caps: { sms: { max: 2, window_hours: 168 }, lms: { max: 1, window_ms: 86_400_000 } },
  reconfirm_text: reconfirmText,
};

describe("brand messaging settings", () => {
  it("creates, replaces and reads them, the sender number as national digits and caps in ms", async () => {
    const tenant = await createMessagingTenant({ settings: false });
    const brand = ids.encode("brand", tenant.brandId);
    const path = `/api/v1/brands/${brand}/messaging-settings`;
    expectProblem(await call("GET", path, { key: tenant.key }), 404);
    const created = await call("PUT", path, { key: tenant.key, body: settings });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      brand,
      sender_name: "아크미",
      sender_number: "029302266",
      kakao_sender_key: "KA01PF_acme",
      frequency_caps: { sms: { max: 2, window_ms: 604_800_000 }, lms: { max: 1, window_ms: 86_400_000 } },
      reconfirm_text: reconfirmText,
    });
    const replaced = await call("PUT", path, {
      key: tenant.key,
      body: { ...settings, kakao_sender_key: null, frequency_caps: {} },
    });
    expect(replaced.status).toBe(200);
    const read = await ok("GET", path, { key: tenant.key });
    expect(read).toMatchObject({ kakao_sender_key: null, frequency_caps: {} });
  });

  it("refuses bad settings naming each field, and writes nothing", async () => {
    const tenant = await createMessagingTenant({ settings: false });
    const path = `/api/v1/brands/${ids.encode("brand", tenant.brandId)}/messaging-settings`;
    const bad = await call("PUT", path, {
      key: tenant.key,
      body: {
        ...settings,
        opt_out_number: "02-123-4567",
        sender_number: "12",
        reconfirm_text: "수신동의 😀",
      },
    });
    expectProblem(bad, 422, [
      { field: "sender_number", category: "malformed" },
      { field: "opt_out_number", category: "malformed" },
      { field: "reconfirm_text", category: "malformed" },
    ]);
    const caps = await call("PUT", path, {
      key: tenant.key,
      body: { ...settings, frequency_caps: { sms: { max: 1 }, fax: { max: 1, window_ms: 1 } } },
    });
    expect(caps.status).toBe(422);
    expect((caps.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      "frequency_caps.fax",
      "frequency_caps.sms.window_hours",
    ]);
    const long = await call("PUT", path, {
      key: tenant.key,
      body: { ...settings, reconfirm_text: "가".repeat(1001) },
    });
    expectProblem(long, 422, [{ field: "reconfirm_text", category: "too_long" }]);
    expectProblem(await call("GET", path, { key: tenant.key }), 404);
    const other = await createMessagingTenant();
    expectProblem(await call("PUT", path, { key: other.key, body: settings }), 403);
  });
});

describe("message templates", () => {
  it("registers, lists, reads and changes a template", async () => {
    const tenant = await createMessagingTenant();
    const brand = ids.encode("brand", tenant.brandId);
    const body = {
      brand,
      channel: "alimtalk",
      code: "ORDER_SHIPPED",
      name: "Order shipped",
      class: "informational",
      text: "#{name}님, 주문하신 상품이 발송되었습니다.",
      variables: ["name"],
    };
    const created = await call("POST", "/api/v1/message-templates", { key: tenant.key, body });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ ...body, status: "in_review" });
    expect(created.headers.get("location")).toBe(`/api/v1/message-templates/${created.body.id}`);
    expectProblem(await call("POST", "/api/v1/message-templates", { key: tenant.key, body }), 409, [
      { field: "code", category: "conflict" },
    ]);
    const list = await ok("GET", `/api/v1/message-templates?brand=${brand}`, { key: tenant.key });
    expect(list.data.map((t: { code: string }) => t.code)).toEqual(["ORDER_SHIPPED"]);
    expect(list.next_cursor).toBeNull();
    const changed = await ok("PATCH", `/api/v1/message-templates/${created.body.id}`, {
      key: tenant.key,
      body: { status: "approved" },
    });
    expect(changed).toMatchObject({ status: "approved", code: "ORDER_SHIPPED" });
    expect(
      await ok("GET", `/api/v1/message-templates/${created.body.id}`, { key: tenant.key }),
    ).toMatchObject({
      status: "approved",
    });
  });

  it("refuses bad templates naming the field", async () => {
    const tenant = await createMessagingTenant();
    const brand = ids.encode("brand", tenant.brandId);
    const base = {
      brand,
      channel: "alimtalk",
      code: "X1",
      name: "X",
      class: "informational",
      text: "#{name}님",
    };
    expectProblem(await call("POST", "/api/v1/message-templates", { key: tenant.key, body: base }), 422, [
      { field: "variables", category: "missing" },
    ]);
    const sms = await call("POST", "/api/v1/message-templates", {
      key: tenant.key,
      body: { ...base, channel: "sms", variables: ["name"] },
    });
    expect(sms.status).toBe(422);
    expect((sms.body.errors as { field: string }[]).map((e) => e.field)).toEqual(["channel"]);
    expectProblem(
      await call("POST", "/api/v1/message-templates", {
        key: tenant.key,
        body: { ...base, brand: "nope", variables: ["name"] },
      }),
      422,
      [{ field: "brand", category: "malformed" }],
    );
    expectProblem(
      await call("PATCH", "/api/v1/message-templates/nope", { key: tenant.key, body: { name: "Y" } }),
      404,
    );
    expect(await ok("GET", `/api/v1/message-templates?brand=${brand}`, { key: tenant.key })).toMatchObject({
      data: [],
    });
  });
});

describe("consent re-confirmation", () => {
  it("marks the contact's granted consent re-confirmed, by contact or by phone", async () => {
    const tenant = await createMessagingTenant();
    const brand = ids.encode("brand", tenant.brandId);
    const phone = "010-5555-0101";
    const person = await addRecipient(tenant, {
      phone,
      consents: [{ channel: "sms", at: "2024-05-01T00:00:00.000Z" }],
    });
    const path = `/api/v1/brands/${brand}/consents/reconfirm`;
    const byPhone = await ok("POST", path, {
      key: tenant.key,
      body: { phone, channel: "sms", at: "2026-06-01T00:00:00.000Z" },
    });
    expect(byPhone).toEqual({
      reconfirmed: 1,
      contacts: [ids.encode("contact", person.contactId)],
      at: "2026-06-01T00:00:00.000Z",
    });
    const none = await ok("POST", path, {
      key: tenant.key,
      body: { contact: ids.encode("contact", person.contactId), channel: "kakao" },
    });
    expect(none.reconfirmed).toBe(0);
    expectProblem(await call("POST", path, { key: tenant.key, body: { channel: "sms" } }), 422, [
      { field: "contact", category: "missing" },
    ]);
  });
});

describe("the receipts webhook", () => {
  it("answers 503 without a token configured, 401 for a wrong one, 422 for an unreadable report", async () => {
    const path = "/webhooks/messaging/solapi?token=right";
    const none = await call("POST", path, {
      key: null,
      rawBody: "[]",
      env: { MESSAGING_WEBHOOK_TOKEN: "" } as Partial<Env>,
    });
    expectProblem(none, 503);
    const wrong = await call("POST", "/webhooks/messaging/solapi?token=wrong", {
      key: null,
      rawBody: "[]",
      env: { MESSAGING_WEBHOOK_TOKEN: "right" } as Partial<Env>,
    });
    expectProblem(wrong, 401);
    const bad = await call("POST", path, {
      key: null,
      rawBody: JSON.stringify([{ messageId: "M4V1", statusCode: "4000" }]),
      env: { MESSAGING_WEBHOOK_TOKEN: "right" } as Partial<Env>,
    });
    expectProblem(bad, 422, [{ field: "0.dateReceived", category: "malformed" }]);
  });
});
