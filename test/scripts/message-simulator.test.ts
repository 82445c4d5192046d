import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { OutboundMessage } from "../../domain/messaging/provider.ts";
import { SolapiProvider } from "../../domain/messaging/solapi.ts";
import {
  type MessageSimulator,
  type SimulatedMessage,
  simulatorApiKey,
  simulatorApiSecret,
  startMessageSimulator,
} from "../../scripts/lib/message-simulator.ts";

const fixed = new Date("2026-12-07T01:00:00.000Z");

/** The loopback callback the simulator posts reports to: every request, as received. */
interface Callback {
  url: string;
  received: { method: string; contentType: string | undefined; body: string }[];
  server: Server;
}

let callback: Callback;
let simulator: MessageSimulator;

function adapter(overrides: Partial<{ apiSecret: string; timeoutMs: number }> = {}): SolapiProvider {
  return new SolapiProvider({
    baseUrl: simulator.url,
    apiKey: simulatorApiKey,
    apiSecret: overrides.apiSecret ?? simulatorApiSecret,
    timeoutMs: overrides.timeoutMs ?? 5000,
    now: () => fixed,
  });
}

beforeAll(async () => {
  const received: Callback["received"] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        method: request.method ?? "",
        contentType: request.headers["content-type"],
        body: Buffer.concat(chunks).toString("utf8"),
      });
      response.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  callback = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/receipts`, received, server };
  simulator = await startMessageSimulator({
    apiKey: simulatorApiKey,
    apiSecret: simulatorApiSecret,
    callbackUrl: callback.url,
    receiptDelayMs: 100,
    now: () => fixed,
  });
});

afterAll(async () => {
  await simulator?.close();
  await new Promise<void>((resolve) => callback?.server.close(() => resolve()));
});

beforeEach(async () => {
  await simulator.settled();
  await fetch(`${simulator.url}/__sent`, { method: "DELETE" });
  callback.received.length = 0;
});

const sms = (customId: string, to: string): OutboundMessage => ({
  channel: "sms",
  to,
  from: "02-930-2266",
  text: "주문이 접수되었습니다",
  customId,
});

describe("the message simulator through the real Solapi adapter", () => {
  it("accepts, then posts the delivery report to the callback, with the exact body; status follows", async () => {
    const provider = adapter();
    const sent = await provider.send(sms("send_ok", "010-1234-5678"));
    expect(sent).toMatchObject({ customId: "send_ok", status: "accepted", providerCode: "2000" });
    const id = sent.providerMessageId ?? "";
    expect(id).toMatch(/^M4V20261207010000\d{6}[0-9A-F]{9}$/);
    expect(await provider.status(id)).toEqual({
      providerMessageId: id,
      customId: "send_ok",
      status: "accepted",
      providerCode: "2000",
      providerMessage: "정상 접수(이통사로 접수 예정)",
      at: fixed,
    });
    expect(callback.received).toEqual([]);

    await simulator.settled();
    const listed = (await (await fetch(`${simulator.url}/__sent`)).json()) as {
      messages: SimulatedMessage[];
    };
    const [message] = listed.messages;
    expect(message).toMatchObject({
      messageId: id,
      to: "01012345678",
      from: "029302266",
      type: "SMS",
      text: "주문이 접수되었습니다",
    });
    const groupId = message?.groupId ?? "";
    expect(callback.received).toHaveLength(1);
    expect(callback.received[0]?.method).toBe("POST");
    expect(callback.received[0]?.contentType).toBe("application/json");
    expect(JSON.parse(callback.received[0]?.body ?? "")).toEqual([
      {
        messageId: id,
        groupId,
        to: "01012345678",
        from: "029302266",
        type: "SMS",
        statusCode: "4000",
        statusMessage: "수신 완료",
        customFields: { leadrailId: "send_ok" },
        dateCreated: "2026-12-07T01:00:00.000Z",
        dateProcessed: "2026-12-07T01:00:00.000Z",
        dateReceived: "2026-12-07T01:00:00.000Z",
        dateUpdated: "2026-12-07T01:00:00.000Z",
      },
    ]);
    expect(provider.parseReceipt(JSON.parse(callback.received[0]?.body ?? ""))).toEqual([
      {
        providerMessageId: id,
        customId: "send_ok",
        status: "delivered",
        providerCode: "4000",
        providerMessage: "수신 완료",
        at: fixed,
      },
    ]);
    expect((await provider.status(id)).status).toBe("delivered");
    expect(simulator.receipts()).toEqual([
      { url: callback.url, body: callback.received[0]?.body, status: 200, error: null },
    ]);
  });

  it("fails on request: a recipient ending 0000 is rejected at send, one ending 9999 fails after it", async () => {
    const provider = adapter();
    const alimtalk: OutboundMessage = {
      channel: "alimtalk",
      to: "010-5555-9999",
      from: "029302266",
      text: "홍길동님, 주문이 접수되었습니다",
      customId: "send_kakao",
      alimtalk: { senderKey: "KA01PF1", templateCode: "KA01TP1", variables: { 이름: "홍길동" } },
    };
    const results = await provider.sendMany([sms("send_blocked", "010-1111-0000"), alimtalk]);
    expect(results.map(({ providerMessageId: _, ...rest }) => rest)).toEqual([
      { customId: "send_blocked", status: "rejected", providerCode: "1060", error: "차단된 수신번호" },
      { customId: "send_kakao", status: "accepted", providerCode: "2000" },
    ]);
    expect((await provider.status(results[0]?.providerMessageId ?? "")).status).toBe("rejected");

    await simulator.settled();
    // Only the accepted message is reported; the refused one was answered at send.
    const receipts = provider.parseReceipt(JSON.parse(callback.received[0]?.body ?? ""));
    expect(receipts).toEqual([
      {
        providerMessageId: results[1]?.providerMessageId,
        customId: "send_kakao",
        status: "failed",
        providerCode: "3104",
        providerMessage: "카카오톡 미사용자",
        at: fixed,
      },
    ]);
    expect(callback.received).toHaveLength(1);
  });

  it("checks the signature as Solapi does: a wrong secret is refused, and so is a reused signature", async () => {
    await expect(
      adapter({ apiSecret: "not_the_secret" }).send(sms("x", "01012345678")),
    ).rejects.toMatchObject({
      kind: "auth",
      details: { httpStatus: 403, providerCode: "SignatureDoesNotMatch" },
    });
    const replay = new SolapiProvider({
      baseUrl: simulator.url,
      apiKey: simulatorApiKey,
      apiSecret: simulatorApiSecret,
      timeoutMs: 5000,
      now: () => fixed,
      salt: () => "same_salt_every_time",
    });
    await replay.send(sms("first", "01012345678"));
    await expect(replay.send(sms("second", "01012345678"))).rejects.toMatchObject({
      kind: "auth",
      details: { providerCode: "DuplicatedSignature" },
    });
    expect(simulator.sent().map((message) => message.customFields.leadrailId)).toEqual(["first"]);
  });

  it("answers a requested fault, then recovers", async () => {
    await fetch(`${simulator.url}/__fault`, {
      method: "POST",
      body: JSON.stringify({ status: 503, count: 1 }),
    });
    const provider = adapter();
    const error = await provider.send(sms("y", "01012345678")).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      kind: "http",
      retryable: true,
      details: { httpStatus: 503, providerCode: "SimulatedFault" },
    });
    expect(simulator.sent()).toEqual([]);
    expect((await provider.send(sms("y", "01012345678"))).status).toBe("accepted");
  });
});

describe("the simulator's memory", () => {
  it("keeps only the latest maxKept messages", async () => {
    const small = await startMessageSimulator({
      apiKey: simulatorApiKey,
      apiSecret: simulatorApiSecret,
      receiptDelayMs: 10_000,
      maxKept: 2,
    });
    try {
      const provider = new SolapiProvider({
        baseUrl: small.url,
        apiKey: simulatorApiKey,
        apiSecret: simulatorApiSecret,
        timeoutMs: 5000,
      });
      await provider.sendMany([sms("a", "01011112222"), sms("b", "01011112223"), sms("c", "01011112224")]);
      expect(small.sent().map((message) => message.customFields.leadrailId)).toEqual(["b", "c"]);
    } finally {
      await small.close();
    }
  });
});
