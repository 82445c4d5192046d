import { describe, expect, it } from "vitest";
import {
  postbackMacroValues,
  postbackTemplateProblem,
  postbackValues,
  renderPostbackUrl,
} from "../../domain/relay/postback-template.ts";

describe("postbackTemplateProblem", () => {
  it("accepts absolute http(s) templates with known macros", () => {
    expect(postbackTemplateProblem("https://pb.example/c?click={click_id}&tx={transaction_id}")).toBeNull();
    expect(
      postbackTemplateProblem(
        "http://pb.example:8080/{event}/{capture_id}?p={payout}&c={currency}&s={sub1}{sub2}{sub3}{sub4}{sub5}",
      ),
    ).toBeNull();
    expect(postbackTemplateProblem("https://pb.example/static")).toBeNull();
  });

  it("names unknown macros", () => {
    expect(postbackTemplateProblem("https://pb.example/?e={email}&x={}")).toBe("Unknown macro {email}, {}.");
  });

  it("refuses macros in the host, other schemes, relative URLs and credentials", () => {
    expect(postbackTemplateProblem("https://{click_id}.pb.example/")).toBe(
      "The host may not contain a macro.",
    );
    expect(postbackTemplateProblem("ftp://pb.example/")).toBe("Must be an absolute http or https URL.");
    expect(postbackTemplateProblem("javascript:alert(1)")).toBe("Must be an absolute http or https URL.");
    expect(postbackTemplateProblem("/relative?c={click_id}")).toBe("Must be an absolute http or https URL.");
    expect(postbackTemplateProblem("https://user:pw@pb.example/")).toBe("May not carry credentials.");
  });

  it("refuses unbalanced braces", () => {
    expect(postbackTemplateProblem("https://pb.example/?c={click_id")).toBe("Unbalanced braces.");
    expect(postbackTemplateProblem("https://pb.example/?c=click_id}")).toBe("Unbalanced braces.");
  });
});

describe("{payout} and {payout_minor}", () => {
  const payoutOf = (payout: number, currency: string | null) =>
    postbackMacroValues(postbackValues({ event: "sale", captureId: "c", marketing: {}, payout, currency }));
  const url = (payout: number, currency: string | null) => {
    const rendered = renderPostbackUrl(
      "https://n.test/?p={payout}&m={payout_minor}&c={currency}",
      payoutOf(payout, currency),
    );
    return rendered.ok ? rendered.url : rendered.reason;
  };

  it("renders {payout} in the currency's unit by its ISO 4217 exponent and {payout_minor} as stored", () => {
    expect(url(1500, "USD")).toBe("https://n.test/?p=15.00&m=1500&c=USD");
    expect(url(1500, "KRW")).toBe("https://n.test/?p=1500&m=1500&c=KRW");
    expect(url(1500, "JPY")).toBe("https://n.test/?p=1500&m=1500&c=JPY");
    expect(url(1500, "BHD")).toBe("https://n.test/?p=1.500&m=1500&c=BHD");
    expect(url(1500, "KWD")).toBe("https://n.test/?p=1.500&m=1500&c=KWD");
    expect(url(7, "CLF")).toBe("https://n.test/?p=0.0007&m=7&c=CLF");
    expect(url(5, "EUR")).toBe("https://n.test/?p=0.05&m=5&c=EUR");
    expect(url(0, "USD")).toBe("https://n.test/?p=0.00&m=0&c=USD");
  });

  it("renders a negative payout (a refund) with a leading minus", () => {
    expect(url(-1500, "USD")).toBe("https://n.test/?p=-15.00&m=-1500&c=USD");
    expect(url(-5, "KWD")).toBe("https://n.test/?p=-0.005&m=-5&c=KWD");
    expect(url(-1500, "KRW")).toBe("https://n.test/?p=-1500&m=-1500&c=KRW");
  });

  it("leaves both empty without a currency", () => {
    expect(url(1500, null)).toBe("https://n.test/?p=&m=&c=");
  });

  it("accepts {payout_minor} in a template", () => {
    expect(postbackTemplateProblem("https://pb.example/?m={payout_minor}")).toBeNull();
  });
});
