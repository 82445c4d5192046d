import { describe, expect, it } from "vitest";
import { redirectPostbackUrl } from "../../domain/relay/redirect-postback.ts";
import type { RedirectPostback } from "../../domain/routing/edge-config.ts";

const postback: RedirectPostback = {
  urlTemplate:
    "https://track.network.test/conv?cid={click_id}&tx={transaction_id}&e={event}&p={payout}&c={currency}&s1={sub1}&id={capture_id}&to={redirect_url}",
  events: ["lead_accepted", "sale"],
  payout: 1500,
  currency: "USD",
};
const input = {
  knowledge: "unknown" as const,
  captureId: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
  values: { click_id: "abc 123", transaction_id: "tx/9", sub1: "camp&1" },
  target: "https://offers.test/welcome?c=0193a1b2&src=a b",
};

describe("redirect postbacks", () => {
  it("sends the visitor through the network's URL with every macro URL-encoded and the rule's page as redirect_url", () => {
    expect(redirectPostbackUrl(postback, input)).toBe(
      "https://track.network.test/conv?cid=abc%20123&tx=tx%2F9&e=lead_accepted&p=15.00&c=USD&s1=camp%261&id=0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b&to=https%3A%2F%2Foffers.test%2Fwelcome%3Fc%3D0193a1b2%26src%3Da%20b",
    );
  });

  it("leaves payout and currency empty without a currency, and missing values empty", () => {
    expect(
      redirectPostbackUrl(
        { ...postback, currency: null, urlTemplate: "https://t.test/?p={payout}&c={currency}&s5={sub5}" },
        input,
      ),
    ).toBe("https://t.test/?p=&c=&s5=");
  });

  it("applies only when the partner listens to accepted leads and the visitor is not already active with the brand", () => {
    expect(redirectPostbackUrl({ ...postback, events: ["sale"] }, input)).toBeNull();
    expect(redirectPostbackUrl(null, input)).toBeNull();
    expect(redirectPostbackUrl(undefined, input)).toBeNull();
    expect(redirectPostbackUrl(postback, { ...input, knowledge: "known_active_same_brand" })).toBeNull();
    for (const knowledge of ["known", "known_active"] as const)
      expect(redirectPostbackUrl(postback, { ...input, knowledge })).toMatch(
        /^https:\/\/track\.network\.test\//,
      );
  });

  it("never throws on a value: a lone surrogate is sent as U+FFFD", () => {
    const clickId = `${"a".repeat(3)}\ud83d`;
    expect(
      redirectPostbackUrl(
        { ...postback, urlTemplate: "https://t.test/?c={click_id}" },
        { ...input, values: { click_id: clickId } },
      ),
    ).toBe("https://t.test/?c=aaa%EF%BF%BD");
  });

  it("drops a result that is not an http(s) URL", () => {
    expect(
      redirectPostbackUrl({ ...postback, urlTemplate: "javascript:alert({click_id})" }, input),
    ).toBeNull();
    expect(redirectPostbackUrl({ ...postback, urlTemplate: "not a url {click_id}" }, input)).toBeNull();
  });
});
