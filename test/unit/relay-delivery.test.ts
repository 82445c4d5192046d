import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  backoffSeconds,
  buildRelayRequest,
  capResponseBody,
  defaultRetryPolicy,
  isDelivered,
  maskHeaders,
  UndeliverableJob,
  verdictAfter,
} from "../../domain/relay/delivery.ts";

const now = new Date("2026-11-22T19:00:00.000Z");
const t = 1_795_374_000;
const hmac = (secret: string, signed: string) =>
  createHmac("sha256", secret).update(`${t}.${signed}`).digest("hex");

const macros = { click_id: "a b&c", transaction_id: "tx-9", event: "lead_accepted", payout: "" };
const postback = (method: string) => ({
  kind: "postback" as const,
  event: "lead_accepted",
  values: null,
  payload: { method, url: "https://net.test/pb?click=a%20b%26c&e=lead_accepted", macros },
});
/** A job made before values were kept goes to its stored URL, whatever the recipient's URL is now. */
const noSettings = {
  url: "https://now.test/{click_id}",
  method: "post",
  contentType: "json",
  headers: {},
  signingSecret: null,
};

describe("relay request of a job made before values were kept", () => {
  it("a get postback is the stored URL with our agent and nothing else", async () => {
    expect(await buildRelayRequest(postback("get"), noSettings, now)).toEqual({
      method: "GET",
      url: "https://net.test/pb?click=a%20b%26c&e=lead_accepted",
      headers: { "User-Agent": "leadrail-relay/1" },
      body: null,
    });
  });

  it("a signed get signs t and the URL", async () => {
    const request = await buildRelayRequest(postback("get"), { ...noSettings, signingSecret: "s3cret" }, now);
    expect(now.getTime() / 1000).toBe(t);
    expect(request.headers["X-Leadrail-Signature"]).toBe(
      `t=${t},v1=${hmac("s3cret", "https://net.test/pb?click=a%20b%26c&e=lead_accepted")}`,
    );
  });

  it("a json post sends the macros as a JSON body, signed over the body", async () => {
    const request = await buildRelayRequest(
      postback("post"),
      {
        ...noSettings,
        contentType: "json",
        headers: { "X-Api-Key": "k-1234567890abcdef", Extra: 5 },
        signingSecret: "k",
      },
      now,
    );
    const body = '{"click_id":"a b&c","transaction_id":"tx-9","event":"lead_accepted","payout":""}';
    expect(request).toEqual({
      method: "POST",
      url: "https://net.test/pb?click=a%20b%26c&e=lead_accepted",
      headers: {
        "X-Api-Key": "k-1234567890abcdef",
        "Content-Type": "application/json",
        "User-Agent": "leadrail-relay/1",
        "X-Leadrail-Signature": `t=${t},v1=${hmac("k", body)}`,
      },
      body,
    });
  });

  it("a form post url-encodes the fields", async () => {
    const request = await buildRelayRequest(postback("post"), { ...noSettings, contentType: "form" }, now);
    expect(request.body).toBe("click_id=a+b%26c&transaction_id=tx-9&event=lead_accepted&payout=");
    expect(request.headers["Content-Type"]).toBe("application/x-www-form-urlencoded");
  });

  it("a lead relay posts its mapped fields; a get relay puts them in the query", async () => {
    const job = {
      kind: "lead_relay" as const,
      event: "lead_accepted",
      values: null,
      payload: { method: "post", url: "https://buyer.test/in?src=lr", body: { Email: "k@x.kr", Name: null } },
    };
    expect((await buildRelayRequest(job, noSettings, now)).body).toBe('{"Email":"k@x.kr","Name":null}');
    const form = await buildRelayRequest(job, { ...noSettings, contentType: "form" }, now);
    expect(form.body).toBe("Email=k%40x.kr&Name=");
    const get = await buildRelayRequest(
      { ...job, payload: { ...job.payload, method: "get" } },
      noSettings,
      now,
    );
    expect(get).toEqual({
      method: "GET",
      url: "https://buyer.test/in?src=lr&Email=k%40x.kr&Name=",
      headers: { "User-Agent": "leadrail-relay/1" },
      body: null,
    });
  });

  it("configured headers cannot replace the agent or the signature", async () => {
    const request = await buildRelayRequest(
      postback("get"),
      {
        ...noSettings,
        headers: { "User-Agent": "evil", "X-Leadrail-Signature": "forged" },
        signingSecret: "k",
      },
      now,
    );
    expect(request.headers["User-Agent"]).toBe("leadrail-relay/1");
    expect(request.headers["X-Leadrail-Signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it("refuses payloads it cannot send", async () => {
    for (const payload of [
      null,
      { method: "redirect", url: "https://x.test/" },
      { method: "get" },
      { method: "get", url: "/rel" },
      { method: "get", url: "ftp://x.test/" },
    ]) {
      await expect(
        buildRelayRequest({ kind: "postback", event: "sale", values: null, payload }, noSettings, now),
      ).rejects.toThrow(UndeliverableJob);
    }
  });
});

const values = {
  click_id: "a b&c",
  transaction_id: "tx-9",
  payout_minor: "1500",
  currency: "USD",
  event: "sale",
  capture_id: "cap-1",
  sub1: "s1",
  sub2: "",
  sub3: "",
  sub4: "",
  sub5: "",
};

describe("relay request of a job made with values: the recipient's settings at the attempt", () => {
  const job = { kind: "postback" as const, event: "sale", values, payload: null };
  const partner = {
    url: "https://net.test/pb?c={click_id}&p={payout}&pm={payout_minor}&cur={currency}&e={event}&to={redirect_url}",
    method: "get",
    contentType: "json",
    headers: {},
    signingSecret: null,
  };

  it("renders the partner's current template with the job's values ({payout} in units, {payout_minor} as kept)", async () => {
    expect(await buildRelayRequest(job, partner, now)).toEqual({
      method: "GET",
      url: "https://net.test/pb?c=a%20b%26c&p=15.00&pm=1500&cur=USD&e=sale&to={redirect_url}",
      headers: { "User-Agent": "leadrail-relay/1" },
      body: null,
    });
    const corrected = await buildRelayRequest(job, { ...partner, url: "https://fixed.test/{sub1}" }, now);
    expect(corrected.url).toBe("https://fixed.test/s1");
  });

  it("posts every macro as the body, by the partner's current method and body type", async () => {
    const request = await buildRelayRequest(job, { ...partner, method: "post", contentType: "form" }, now);
    expect(request.body).toBe(
      "click_id=a+b%26c&transaction_id=tx-9&payout=15.00&payout_minor=1500&currency=USD&event=sale&capture_id=cap-1&sub1=s1&sub2=&sub3=&sub4=&sub5=",
    );
  });

  it("a lead relay maps the kept lead values with the buyer's current mapping, URL and method", async () => {
    const lead = {
      kind: "lead_relay" as const,
      event: "lead_accepted",
      values: { email: "k@x.kr" },
      payload: null,
    };
    const buyer = {
      url: "https://buyer.test/in?src=lr",
      method: "get",
      contentType: "json",
      headers: {},
      signingSecret: null,
      fieldMapping: { Email: "email", Phone: "phone", Bad: 5 },
    };
    expect((await buildRelayRequest(lead, buyer, now)).url).toBe(
      "https://buyer.test/in?src=lr&Email=k%40x.kr&Phone=&Bad=",
    );
    const post = await buildRelayRequest(
      lead,
      { ...buyer, method: "post", fieldMapping: { e: "email" } },
      now,
    );
    expect(post.url).toBe("https://buyer.test/in?src=lr");
    expect(post.body).toBe('{"e":"k@x.kr"}');
  });

  it("refuses what cannot be sent from here: a redirect postback, no URL, a template that does not render", async () => {
    for (const recipient of [
      { ...partner, method: "redirect" },
      { ...partner, url: null },
      { ...partner, url: "https://{click_id}.net.test/" },
      { ...partner, url: "not a url" },
    ])
      await expect(buildRelayRequest(job, recipient, now)).rejects.toThrow(UndeliverableJob);
  });
});

describe("stored copies", () => {
  it("masks credentials and the MAC, keeps the rest", () => {
    expect(
      maskHeaders({
        "User-Agent": "leadrail-relay/1",
        Authorization: "Bearer abcdefghijklmnopqrstu",
        "X-Api-Key": "short",
        "X-Auth-Token": "0123456789abcdefXYZ",
        "X-Leadrail-Signature": "t=1,v1=00ff",
        "Content-Type": "application/json",
      }),
    ).toEqual({
      "User-Agent": "leadrail-relay/1",
      Authorization: "Bearer abcd****",
      "X-Api-Key": "****",
      "X-Auth-Token": "0123****",
      "X-Leadrail-Signature": "t=1,v1=****",
      "Content-Type": "application/json",
    });
  });

  it("caps response bodies at 4096 characters", () => {
    expect(capResponseBody("ok")).toEqual({ body: "ok", truncated: false });
    expect(capResponseBody("x".repeat(4096))).toEqual({ body: "x".repeat(4096), truncated: false });
    expect(capResponseBody("x".repeat(5000))).toEqual({ body: "x".repeat(4096), truncated: true });
  });
});

describe("retries", () => {
  it("backs off 30 s doubling, capped at an hour", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => backoffSeconds(n))).toEqual([
      30, 60, 120, 240, 480, 960, 1920, 3600, 3600,
    ]);
  });

  it("retries until the attempt limit, then fails", () => {
    expect(defaultRetryPolicy.maxAttempts).toBe(8);
    expect(verdictAfter(1, true)).toEqual({ status: "succeeded" });
    expect(verdictAfter(1, false)).toEqual({ status: "pending", retryInSeconds: 30 });
    expect(verdictAfter(7, false)).toEqual({ status: "pending", retryInSeconds: 1920 });
    expect(verdictAfter(8, false)).toEqual({ status: "failed" });
    expect(verdictAfter(9, false)).toEqual({ status: "failed" });
    expect(verdictAfter(2, false, { baseSeconds: 1, capSeconds: 5, maxAttempts: 3 })).toEqual({
      status: "pending",
      retryInSeconds: 2,
    });
  });

  it("counts only 2xx as delivered", () => {
    expect([199, 200, 204, 299, 301, 404, 500].map(isDelivered)).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
