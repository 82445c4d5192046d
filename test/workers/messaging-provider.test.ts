import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SolapiProvider, solapiAuthorization, solapiFromConfig } from "../../domain/messaging/solapi.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { messageReceiptsKey, messageSimulatorUrl } from "../support/message-simulator.ts";
import { relaySink } from "../support/relay-sink.ts";

/*
 * The Solapi adapter inside workerd, as the Worker will run it: Web Crypto's HMAC, `fetch` with
 * `AbortSignal.timeout`, against the message simulator on loopback (test/global-setup.ts), whose delivery
 * reports arrive at the relay sink.
 */
const simulatorUrl = messageSimulatorUrl;

async function receiptsPosted(): Promise<{ body: string }[]> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const seen = (await (await fetch(`${relaySink}/__seen/${messageReceiptsKey}`)).json()) as {
      body: string;
    }[];
    if (seen.length > 0) return seen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return [];
}

describe("the Solapi adapter inside workerd", () => {
  it("signs with Web Crypto exactly as node:crypto does", async () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
    expect(
      await solapiAuthorization(
        "TESTKEY",
        "test_secret_0123",
        "2026-12-07T01:00:00.000Z",
        "0123456789abcdef0123456789abcdef",
      ),
    ).toBe(
      "HMAC-SHA256 apiKey=TESTKEY, date=2026-12-07T01:00:00.000Z, salt=0123456789abcdef0123456789abcdef, signature=96f8535a66493c5d1a4f9ca57a72d08702c29255897b123bfbef5420cccaa885",
    );
  });

  it("reads its settings from the Worker's config: wrangler.toml's Solapi URL and 10 s", () => {
    const config = dbConfig(env);
    expect(config.MESSAGING_PROVIDER_BASE_URL).toBe("https://api.solapi.com");
    expect(config.MESSAGING_PROVIDER_TIMEOUT_MS).toBe(10_000);
    expect(
      solapiFromConfig({
        ...config,
        MESSAGING_PROVIDER_API_KEY: "simulator_local_key",
        MESSAGING_PROVIDER_API_SECRET: "simulator_local_development_only",
      }).name,
    ).toBe("solapi");
  });

  it("sends through the simulator and reads the delivery report it posts", async () => {
    await fetch(`${relaySink}/__seen/${messageReceiptsKey}`, { method: "DELETE" });
    const provider = new SolapiProvider({
      baseUrl: simulatorUrl,
      apiKey: "simulator_local_key",
      apiSecret: "simulator_local_development_only",
      timeoutMs: 5000,
    });
    const sent = await provider.send({
      channel: "lms",
      to: "+82 10-2222-3333",
      from: "1588-0000",
      subject: "안내",
      text: "배송이 시작되었습니다",
      customId: "workerd_1",
    });
    expect(sent).toMatchObject({ customId: "workerd_1", status: "accepted", providerCode: "2000" });
    const [post] = await receiptsPosted();
    const receipts = provider.parseReceipt(JSON.parse(post?.body ?? "null"));
    expect(receipts.map(({ at: _, ...rest }) => rest)).toEqual([
      {
        providerMessageId: sent.providerMessageId,
        customId: "workerd_1",
        status: "delivered",
        providerCode: "4000",
        providerMessage: "수신 완료",
      },
    ]);
    expect((await provider.status(sent.providerMessageId ?? "")).status).toBe("delivered");
  });
});
