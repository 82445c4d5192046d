import { describe, expect, it } from "vitest";
import { expandPostbackUrl, planRelayJobs, relayEventFor } from "../../domain/relay/dispatch.ts";

const partner = {
  id: 7,
  postbackUrl:
    "https://net.test/pb?click={click_id}&tx={transaction_id}&e={event}&c={capture_id}&s={sub1}&x={unknown}",
  postbackMethod: "get" as const,
  postbackEvents: ["lead_accepted"],
};
const target = {
  id: 3,
  url: "https://buyer.test/leads",
  method: "post",
  fieldMapping: { Email: "email", Name: "first_name", Source: "utm_source", Missing: "nothing", Bad: 5 },
};
const values = {
  email: "kim@naver.com",
  first_name: "민준",
  utm_source: "naver",
  click_id: "a b&c",
  sub1: "s1",
};

describe("relay dispatch", () => {
  it("fires lead_accepted for new and lead_restored for restored only", () => {
    expect(relayEventFor("new")).toBe("lead_accepted");
    expect(relayEventFor("restored")).toBe("lead_restored");
    for (const outcome of ["duplicate", "invalid", "bot"] as const) expect(relayEventFor(outcome)).toBeNull();
  });

  it("expands known macros URL-encoded and leaves unknown ones visible", () => {
    expect(expandPostbackUrl("https://n.test/?a={click_id}&b={nope}", { click_id: "a b&c" })).toBe(
      "https://n.test/?a=a%20b%26c&b={nope}",
    );
  });

  it("plans a postback and a lead relay with resolved payloads", () => {
    const jobs = planRelayJobs({ outcome: "new", captureId: "cap-1", partner, targets: [target], values });
    expect(jobs).toEqual([
      {
        kind: "postback",
        event: "lead_accepted",
        partnerId: 7,
        relayTargetId: null,
        payload: {
          method: "get",
          url: "https://net.test/pb?click=a%20b%26c&tx=&e=lead_accepted&c=cap-1&s=s1&x={unknown}",
          macros: {
            click_id: "a b&c",
            transaction_id: "",
            payout: "",
            currency: "",
            event: "lead_accepted",
            capture_id: "cap-1",
            sub1: "s1",
            sub2: "",
            sub3: "",
            sub4: "",
            sub5: "",
          },
        },
      },
      {
        kind: "lead_relay",
        event: "lead_accepted",
        partnerId: null,
        relayTargetId: 3,
        payload: {
          method: "post",
          url: "https://buyer.test/leads",
          body: { Email: "kim@naver.com", Name: "민준", Source: "naver", Missing: null, Bad: null },
        },
      },
    ]);
  });

  it("skips a postback for an event the partner does not listen to, and redirect postbacks", () => {
    const restored = planRelayJobs({ outcome: "restored", captureId: "c", partner, targets: [], values });
    expect(restored).toEqual([]);
    const redirect = planRelayJobs({
      outcome: "new",
      captureId: "c",
      partner: { ...partner, postbackMethod: "redirect" },
      targets: [],
      values,
    });
    expect(redirect).toEqual([]);
    const noUrl = planRelayJobs({
      outcome: "new",
      captureId: "c",
      partner: { ...partner, postbackUrl: null },
      targets: [],
      values,
    });
    expect(noUrl).toEqual([]);
  });

  it("plans nothing for duplicates, invalid captures and bots", () => {
    for (const outcome of ["duplicate", "invalid", "bot"] as const) {
      expect(planRelayJobs({ outcome, captureId: "c", partner, targets: [target], values })).toEqual([]);
    }
  });
});
