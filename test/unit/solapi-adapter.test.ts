import { describe, expect, it } from "vitest";
import {
  isFinalStatus,
  normalizeRecipient,
  normalizeSenderNumber,
  type OutboundMessage,
  ProviderError,
  recipientE164,
} from "../../domain/messaging/provider.ts";
import {
  parseSolapiReports,
  SolapiProvider,
  solapiAuthorization,
  solapiFromConfig,
  solapiStatusOf,
} from "../../domain/messaging/solapi.ts";
import { messagingConfigSchema } from "../../domain/platform/messaging-config.ts";

const date = "2026-12-07T01:00:00.000Z";
const salt = "0123456789abcdef0123456789abcdef";
// HMAC-SHA256(key "test_secret_0123", data date + salt), computed with node:crypto's createHmac.
const signature = "96f8535a66493c5d1a4f9ca57a72d08702c29255897b123bfbef5420cccaa885";
const authorization = `HMAC-SHA256 apiKey=TESTKEY, date=${date}, salt=${salt}, signature=${signature}`;

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
}

/** A provider whose fetch records the request and answers `reply`. */
function provider(reply: (seen: Seen) => Response | Promise<Response>, timeoutMs = 2000) {
  const seen: Seen[] = [];
  const fetcher = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request: Seen = {
      url: String(input),
      method: init?.method ?? "GET",
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: typeof init?.body === "string" ? init.body : null,
    };
    seen.push(request);
    const signal = init?.signal;
    return await new Promise<Response>((resolve, reject) => {
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      Promise.resolve(reply(request)).then(resolve, reject);
    });
  };
  const adapter = new SolapiProvider({
    baseUrl: "https://api.solapi.test/",
    apiKey: "TESTKEY",
    apiSecret: "test_secret_0123",
    timeoutMs,
    fetch: fetcher as typeof fetch,
    now: () => new Date(date),
    salt: () => salt,
  });
  return { adapter, seen };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const sms: OutboundMessage = {
  channel: "sms",
  to: "+82 10-1234-5678",
  from: "02-930-2266",
  text: "주문이 접수되었습니다",
  customId: "send_1",
};

describe("Solapi signing", () => {
  it("signs date + salt with the secret as hex HMAC-SHA256 in Solapi's header form", async () => {
    expect(await solapiAuthorization("TESTKEY", "test_secret_0123", date, salt)).toBe(authorization);
  });
});

describe("Solapi status codes", () => {
  it("map to the neutral statuses by Solapi's scheme", () => {
    expect(
      ["2000", "3000", "4000", "1060", "1030", "2061", "3043", "3104", "TEST1000", "40000"].map(
        solapiStatusOf,
      ),
    ).toEqual([
      "accepted",
      "pending",
      "delivered",
      "rejected",
      "rejected",
      "failed",
      "failed",
      "failed",
      null,
      null,
    ]);
    expect(
      ["accepted", "pending", "rejected", "delivered", "failed"].map((s) => isFinalStatus(s as never)),
    ).toEqual([false, false, true, true, true]);
  });
});

describe("phone numbers", () => {
  it("recipients: E.164, 0082 and national forms of Korean mobiles, with separators", () => {
    expect(
      [
        "+821012345678",
        "+82 10-1234-5678",
        "010-1234-5678",
        "010.1234.5678",
        "(010) 1234 5678",
        "0082 10 1234 5678",
        "821012345678",
        "011-123-4567",
      ].map(normalizeRecipient),
    ).toEqual([
      "01012345678",
      "01012345678",
      "01012345678",
      "01012345678",
      "01012345678",
      "01012345678",
      "01012345678",
      "0111234567",
    ]);
    expect(
      ["+1 415 555 0100", "02-930-2266", "010-1234-567", "010-1234-56789", "010-abcd-5678", ""].map(
        normalizeRecipient,
      ),
    ).toEqual([null, null, null, null, null, null]);
    expect(recipientE164("01012345678")).toBe("+821012345678");
  });

  it("sender numbers: landlines, mobiles and 8-digit representative numbers", () => {
    expect(
      ["02-930-2266", "+82 2 930 2266", "1588-0000", "010-1234-5678", "080-123-4567"].map(
        normalizeSenderNumber,
      ),
    ).toEqual(["029302266", "029302266", "15880000", "01012345678", "0801234567"]);
    expect(["1234", "+1 415 555 0100", "2-930-2266"].map(normalizeSenderNumber)).toEqual([null, null, null]);
  });
});

describe("SolapiProvider.send", () => {
  it("an SMS: the exact request, and the accepted answer", async () => {
    const { adapter, seen } = provider(() =>
      json(200, {
        failedMessageList: [],
        groupInfo: { groupId: "G4V1" },
        messageList: [
          {
            messageId: "M4V1",
            statusCode: "2000",
            statusMessage: "정상 접수",
            customFields: { leadrailId: "send_1" },
          },
        ],
      }),
    );
    expect(await adapter.send(sms)).toEqual({
      providerMessageId: "M4V1",
      customId: "send_1",
      status: "accepted",
      providerCode: "2000",
    });
    expect(seen).toEqual([
      {
        url: "https://api.solapi.test/messages/v4/send-many/detail",
        method: "POST",
        headers: { authorization, "content-type": "application/json" },
        body: JSON.stringify({
          messages: [
            {
              to: "01012345678",
              from: "029302266",
              type: "SMS",
              text: "주문이 접수되었습니다",
              customFields: { leadrailId: "send_1" },
            },
          ],
          showMessageList: true,
        }),
      },
    ]);
  });

  it("LMS, AlimTalk and brand message bodies; a refused one is rejected with Solapi's words", async () => {
    const messages: OutboundMessage[] = [
      { ...sms, channel: "lms", customId: "a", subject: "안내", text: "긴 안내" },
      {
        ...sms,
        channel: "alimtalk",
        customId: "b",
        text: "홍길동님, 주문이 접수되었습니다",
        alimtalk: {
          senderKey: "KA01PF1",
          templateCode: "KA01TP1",
          variables: { 이름: "홍길동", "#{주문}": "1" },
        },
      },
      {
        ...sms,
        channel: "brand_message",
        customId: "c",
        text: "(광고) 신상품",
        brandMessage: {
          senderKey: "KA01PF1",
          targeting: "I",
          buttons: [{ name: "보기", type: "WL", urlMobile: "https://m.example.com" }],
        },
      },
    ];
    const { adapter, seen } = provider(() =>
      json(200, {
        failedMessageList: [
          {
            messageId: "M4V3",
            statusCode: "1041",
            statusMessage: "유효한 플러스 친구 값이 아닙니다.",
            customFields: { leadrailId: "c" },
          },
        ],
        messageList: [
          { messageId: "M4V1", statusCode: "2000", customFields: { leadrailId: "a" } },
          { messageId: "M4V2", statusCode: "2000", customFields: { leadrailId: "b" } },
        ],
      }),
    );
    expect(await adapter.sendMany(messages)).toEqual([
      { providerMessageId: "M4V1", customId: "a", status: "accepted", providerCode: "2000" },
      { providerMessageId: "M4V2", customId: "b", status: "accepted", providerCode: "2000" },
      {
        providerMessageId: "M4V3",
        customId: "c",
        status: "rejected",
        providerCode: "1041",
        error: "유효한 플러스 친구 값이 아닙니다.",
      },
    ]);
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({
      messages: [
        {
          to: "01012345678",
          from: "029302266",
          type: "LMS",
          text: "긴 안내",
          subject: "안내",
          customFields: { leadrailId: "a" },
        },
        {
          to: "01012345678",
          from: "029302266",
          type: "ATA",
          kakaoOptions: {
            pfId: "KA01PF1",
            templateId: "KA01TP1",
            variables: { "#{이름}": "홍길동", "#{주문}": "1" },
            disableSms: true,
          },
          customFields: { leadrailId: "b" },
        },
        {
          to: "01012345678",
          from: "029302266",
          type: "BMS_TEXT",
          text: "(광고) 신상품",
          kakaoOptions: {
            pfId: "KA01PF1",
            buttons: [{ buttonName: "보기", buttonType: "WL", linkMo: "https://m.example.com" }],
            bms: { targeting: "I" },
          },
          customFields: { leadrailId: "c" },
        },
      ],
      showMessageList: true,
    });
  });

  it("a message it cannot send is refused before any request, naming the field", async () => {
    const { adapter, seen } = provider(() => json(200, {}));
    await expect(adapter.send({ ...sms, to: "+1 415 555 0100" })).rejects.toMatchObject({
      kind: "invalid",
      details: { field: "to" },
      message: 'to: "+1 415 555 0100" is not a Korean mobile number',
    });
    await expect(adapter.send({ ...sms, channel: "alimtalk" })).rejects.toMatchObject({
      kind: "invalid",
      details: { field: "alimtalk" },
    });
    await expect(adapter.sendMany([sms, sms])).rejects.toMatchObject({
      kind: "invalid",
      details: { field: "customId" },
    });
    expect(seen).toEqual([]);
  });

  it("errors: a bad signature is auth, 500 and 429 are retryable, 400 is not, a timeout and an unreadable answer", async () => {
    const cases: [Response | "hang" | "text", Partial<ProviderError> & { retryable: boolean }][] = [
      [
        json(403, { errorCode: "SignatureDoesNotMatch", errorMessage: "x" }),
        { kind: "auth", retryable: false },
      ],
      [json(500, { errorCode: "InternalError", errorMessage: "x" }), { kind: "http", retryable: true }],
      [json(429, { errorCode: "TooManyRequests" }), { kind: "http", retryable: true }],
      [json(400, { errorCode: "ValidationError", errorMessage: "bad" }), { kind: "http", retryable: false }],
      ["hang", { kind: "timeout", retryable: true }],
      ["text", { kind: "response", retryable: false }],
    ];
    for (const [reply, expected] of cases) {
      const { adapter } = provider(
        () =>
          reply === "hang"
            ? new Promise<Response>(() => {})
            : reply === "text"
              ? new Response("<html>", { status: 200 })
              : reply,
        100,
      );
      const error = await adapter.send(sms).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect({ kind: (error as ProviderError).kind, retryable: (error as ProviderError).retryable }).toEqual(
        expected,
      );
    }
    const { adapter } = provider(() =>
      json(403, { errorCode: "InvalidAPIKey", errorMessage: "유효한 API Key가 아님" }),
    );
    await expect(adapter.send(sms)).rejects.toThrow(
      "Solapi refused POST /messages/v4/send-many/detail (403) InvalidAPIKey: 유효한 API Key가 아님",
    );
  });

  it("an answer that does not mention a message is an error", async () => {
    const { adapter } = provider(() => json(200, { failedMessageList: [], messageList: [] }));
    await expect(adapter.send(sms)).rejects.toThrow("Solapi's answer does not mention the message send_1");
  });
});

describe("SolapiProvider.status", () => {
  it("asks the list by message id and maps the code", async () => {
    const { adapter, seen } = provider(() =>
      json(200, {
        messageList: {
          M4V1: {
            messageId: "M4V1",
            statusCode: "4000",
            customFields: { leadrailId: "send_1" },
            dateReceived: "2026-12-07T01:00:05.000Z",
            dateUpdated: "2026-12-07T01:00:06.000Z",
          },
        },
      }),
    );
    expect(await adapter.status("M4V1")).toEqual({
      providerMessageId: "M4V1",
      customId: "send_1",
      status: "delivered",
      providerCode: "4000",
      providerMessage: null,
      at: new Date("2026-12-07T01:00:05.000Z"),
    });
    expect(seen).toEqual([
      {
        url: "https://api.solapi.test/messages/v4/list?criteria=messageId&cond=eq&value=M4V1",
        method: "GET",
        headers: { authorization },
        body: null,
      },
    ]);
    const { adapter: empty } = provider(() => json(200, { messageList: {} }));
    await expect(empty.status("M4V9")).rejects.toThrow("Solapi knows no message M4V9");
  });
});

describe("Solapi reports", () => {
  it("final reports become receipts; accepted and pending ones are left out", () => {
    expect(
      parseSolapiReports([
        {
          messageId: "M1",
          statusCode: "4000",
          customFields: { leadrailId: "a" },
          dateReceived: "2026-12-07T01:00:05Z",
        },
        {
          messageId: "M2",
          statusCode: "3104",
          statusMessage: "카카오톡 미사용자",
          dateProcessed: "2026-12-07T01:00:06Z",
        },
        { messageId: "M3", statusCode: "3000", dateUpdated: "2026-12-07T01:00:07Z" },
        { messageId: "M4", statusCode: 2000 },
      ]),
    ).toEqual([
      {
        providerMessageId: "M1",
        customId: "a",
        status: "delivered",
        providerCode: "4000",
        providerMessage: null,
        at: new Date("2026-12-07T01:00:05Z"),
      },
      {
        providerMessageId: "M2",
        customId: null,
        status: "failed",
        providerCode: "3104",
        providerMessage: "카카오톡 미사용자",
        at: new Date("2026-12-07T01:00:06Z"),
      },
    ]);
  });

  it("a report without an id, with a foreign code or without a time is an error naming it", () => {
    expect(() => parseSolapiReports([{ statusCode: "4000" }])).toThrow(/^report 0: messageId/);
    expect(() => parseSolapiReports({ messageId: "M1", statusCode: "TEST1000" })).toThrow(
      "report 0: status code TEST1000 is not Solapi's",
    );
    expect(() => parseSolapiReports([{ messageId: "M1", statusCode: "4000" }])).toThrow(
      "report 0: no time of the report",
    );
  });
});

describe("configuration", () => {
  it("defaults to Solapi's API and 10 s; no credentials, no provider", () => {
    const config = messagingConfigSchema.parse({
      MESSAGING_PROVIDER_API_KEY: "",
      MESSAGING_PROVIDER_API_SECRET: "",
    });
    expect(config).toEqual({
      MESSAGING_PROVIDER_BASE_URL: "https://api.solapi.com",
      MESSAGING_PROVIDER_TIMEOUT_MS: 10_000,
      MESSAGING_PROVIDER_RATE_PER_SECOND: 2000,
      MESSAGE_LINK_BASE_URL: "http://127.0.0.1:8787",
      MESSAGING_PROVIDER_API_KEY: undefined,
      MESSAGING_PROVIDER_API_SECRET: undefined,
    });
    expect(() => solapiFromConfig(config)).toThrow("the Solapi API key and secret are not configured");
    expect(messagingConfigSchema.safeParse({ MESSAGING_PROVIDER_BASE_URL: "ftp://x" }).success).toBe(false);
    expect(messagingConfigSchema.safeParse({ MESSAGING_PROVIDER_TIMEOUT_MS: "50" }).success).toBe(false);
    expect(messagingConfigSchema.safeParse({ MESSAGING_PROVIDER_RATE_PER_SECOND: "0" }).success).toBe(false);
    expect(messagingConfigSchema.safeParse({ MESSAGE_LINK_BASE_URL: "javascript:alert(1)" }).success).toBe(
      false,
    );
  });
});
