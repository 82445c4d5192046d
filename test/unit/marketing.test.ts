import { describe, expect, it } from "vitest";
import { marketingParams } from "../../domain/capture/marketing.ts";

const empty = {
  utmSource: null,
  utmMedium: null,
  utmCampaign: null,
  utmTerm: null,
  utmContent: null,
  gclid: null,
  fbclid: null,
  ttclid: null,
  msclkid: null,
  clickId: null,
  transactionId: null,
  sub1: null,
  sub2: null,
  sub3: null,
  sub4: null,
  sub5: null,
  referrer: null,
  extra: {},
};

describe("marketingParams", () => {
  it("is empty without parameters", () => {
    expect(marketingParams({ fields: {}, url: "https://lp.test/l/abc", referrer: null }, null)).toEqual(
      empty,
    );
  });

  it("reads utm_*, ad click ids, sub ids, the referrer and extra tracking params", () => {
    const fields = {
      utm_source: "naver",
      utm_medium: "cpc",
      utm_campaign: "spring",
      utm_term: "신발",
      utm_content: "banner-a",
      gclid: "G-1",
      fbclid: "F-1",
      ttclid: "T-1",
      msclkid: "M-1",
      sub1: "s1",
      aff_sub2: "s2",
      sub5: "s5",
      wbraid: "W-1",
      gbraid: "GB-1",
      li_fat_id: "L-1",
      n_keyword: "운동화",
      email: "kim@naver.com",
    };
    expect(
      marketingParams(
        { fields, url: "https://lp.test/l/abc", referrer: " https://search.naver.com/ " },
        null,
      ),
    ).toEqual({
      ...empty,
      utmSource: "naver",
      utmMedium: "cpc",
      utmCampaign: "spring",
      utmTerm: "신발",
      utmContent: "banner-a",
      gclid: "G-1",
      fbclid: "F-1",
      ttclid: "T-1",
      msclkid: "M-1",
      sub1: "s1",
      sub2: "s2",
      sub5: "s5",
      referrer: "https://search.naver.com/",
      extra: { wbraid: "W-1", gbraid: "GB-1", li_fat_id: "L-1", n_keyword: "운동화" },
    });
  });

  it("takes the partner's click and transaction ids from the partner's own parameter names", () => {
    const partner = { clickIdParam: "aff_click_id", transactionIdParam: "tid" };
    const result = marketingParams(
      {
        fields: { aff_click_id: "CLK-9", tid: "TX-9", click_id: "ignored" },
        url: "https://lp.test/l/x",
        referrer: null,
      },
      partner,
    );
    expect(result.clickId).toBe("CLK-9");
    expect(result.transactionId).toBe("TX-9");
    const defaults = marketingParams(
      { fields: { click_id: "C", transaction_id: "T" }, url: "https://lp.test/l/x", referrer: null },
      null,
    );
    expect([defaults.clickId, defaults.transactionId]).toEqual(["C", "T"]);
  });

  it("falls back to the URL query, prefers submitted fields, drops blanks and caps values", () => {
    const result = marketingParams(
      {
        fields: { utm_source: "form", utm_medium: "  " },
        url: `https://lp.test/l/x?utm_source=query&utm_campaign=q-camp&gclid=${"g".repeat(600)}`,
        referrer: "",
      },
      null,
    );
    expect(result.utmSource).toBe("form");
    expect(result.utmMedium).toBeNull();
    expect(result.utmCampaign).toBe("q-camp");
    expect(result.gclid).toBe("g".repeat(512));
    expect(result.referrer).toBeNull();
  });

  it("survives a URL that does not parse", () => {
    expect(marketingParams({ fields: {}, url: "not a url", referrer: null }, null)).toEqual(empty);
  });
});
