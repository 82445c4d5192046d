import { describe, expect, it } from "vitest";
import { isBotClick } from "../../domain/funnel/click-bot.ts";
import { funnelTotals, stageRates } from "../../domain/funnel/funnel.ts";
import { decodeLinkToken, encodeLinkToken } from "../../domain/messaging/links.ts";
import { withToken } from "../../workers/edge/message-link.ts";
import { isEdgePath } from "../../workers/edge/router.ts";
import { iphoneSafari } from "../support/fixtures.ts";

const alphabet = "k3G7QAe51FCsPW92uEOyq4Bg6Sp8YzVTmnU0liwDdHXLajZrfxNhobJIRcMvKt";

describe("tracked-link tokens at their edges", () => {
  it("round-trips large ids and arm 0, and refuses what is not a canonical token", () => {
    const token = { sendId: Number.MAX_SAFE_INTEGER, messageCampaignId: 2 ** 40, arm: 0 };
    const encoded = encodeLinkToken(alphabet, token);
    expect(decodeLinkToken(alphabet, encoded)).toEqual(token);
    expect(decodeLinkToken(alphabet, "")).toBeNull();
    expect(decodeLinkToken(alphabet, "a".repeat(49))).toBeNull();
    expect(decodeLinkToken(alphabet, `${encoded}!`)).toBeNull();
    expect(decodeLinkToken(alphabet, encoded.slice(0, -1))).toBeNull();
    // Another alphabet (another deployment) reads it as something else or nothing, never as this send.
    expect(decodeLinkToken(`${alphabet.slice(1)}${alphabet[0]}`, encoded)).not.toEqual(token);
  });
});

describe("the bot decision of a tracked-link request", () => {
  it("calls link previews and crawlers bots, people in browsers and in-app views not", () => {
    expect(
      isBotClick(
        "facebookexternalhit/1.1; kakaotalk-scrap/1.0; +https://devtalk.kakao.com/public/link",
        null,
      ),
    ).toBe(true);
    expect(
      isBotClick("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", null),
    ).toBe(true);
    expect(isBotClick("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", null)).toBe(true);
    expect(isBotClick("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", null)).toBe(
      true,
    );
    expect(isBotClick(null, null)).toBe(true);
    expect(isBotClick("  ", null)).toBe(true);
    expect(isBotClick(iphoneSafari, null)).toBe(false);
    const kakaoInApp =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 KAKAOTALK 10.4.5";
    expect(isBotClick(kakaoInApp, null)).toBe(false);
  });

  it("follows Cloudflare's verified-bot flag, not the bot score or the network", () => {
    expect(isBotClick(iphoneSafari, { botManagement: { verifiedBot: true, score: 90 } })).toBe(true);
    expect(isBotClick(iphoneSafari, { verifiedBotCategory: "Search Engine Crawler" })).toBe(true);
    expect(isBotClick(iphoneSafari, { verifiedBotCategory: "" })).toBe(false);
    expect(isBotClick(iphoneSafari, { botManagement: { score: 2 }, asn: 16509 })).toBe(false);
  });
});

describe("the redirect's token", () => {
  it("is added to the published query as it is, replacing only an lr_m already there", () => {
    expect(withToken("https://shop.test/spring", "TOK")).toBe("https://shop.test/spring?lr_m=TOK");
    expect(withToken("https://shop.test/s?utm_source=leadrail&q=a%20b", "TOK")).toBe(
      "https://shop.test/s?utm_source=leadrail&q=a%20b&lr_m=TOK",
    );
    expect(withToken("https://shop.test/s?lr_m=old&x=1#top", "TOK")).toBe(
      "https://shop.test/s?x=1&lr_m=TOK#top",
    );
  });
});

describe("the edge's paths", () => {
  it("answer tracked links without the API app", () => {
    expect(isEdgePath("/m/abc")).toBe(true);
    expect(isEdgePath("/m")).toBe(false);
    expect(isEdgePath("/api/v1/campaigns")).toBe(false);
  });
});

describe("funnel totals and rates", () => {
  it("adds the arms stage by stage and divides by targeted", () => {
    const a = {
      targeted: 4,
      sent: 3,
      delivered: 2,
      opened: 2,
      clicked: 1,
      visited: 1,
      carted: 1,
      purchased: 1,
    };
    const b = {
      targeted: 0,
      sent: 0,
      delivered: 0,
      opened: 0,
      clicked: 0,
      visited: 0,
      carted: 0,
      purchased: 0,
    };
    expect(funnelTotals([a, b])).toEqual(a);
    expect(stageRates(a)).toEqual({
      targeted: 1,
      sent: 0.75,
      delivered: 0.5,
      opened: 0.5,
      clicked: 0.25,
      visited: 0.25,
      carted: 0.25,
      purchased: 0.25,
    });
    expect(stageRates(b).purchased).toBeNull();
  });
});
