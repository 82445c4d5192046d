import { describe, expect, it } from "vitest";
import { mappedLeadFields, planRelayJobs, relayEventFor } from "../../domain/relay/dispatch.ts";

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
  not_a_lead_value: "dropped",
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

  it("plans a postback and a lead relay that keep the values they are made with", () => {
    const jobs = planRelayJobs({ outcome: "new", captureId: "cap-1", partner, targets: [target], values });
    expect(jobs).toEqual([
      {
        kind: "postback",
        event: "lead_accepted",
        partnerId: 7,
        relayTargetId: null,
        values: {
          click_id: "a b&c",
          transaction_id: "",
          payout_minor: "",
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
      {
        kind: "lead_relay",
        event: "lead_accepted",
        partnerId: null,
        relayTargetId: 3,
        // Only lead values a mapping may name; the buyer's mapping applies when each attempt is made.
        values: {
          email: "kim@naver.com",
          first_name: "민준",
          utm_source: "naver",
          click_id: "a b&c",
          sub1: "s1",
        },
      },
    ]);
  });

  it("maps lead values by a buyer's field mapping; what the lead lacks or the mapping cannot name is null", () => {
    expect(mappedLeadFields(target.fieldMapping, values)).toEqual({
      Email: "kim@naver.com",
      Name: "민준",
      Source: "naver",
      Missing: null,
      Bad: null,
    });
    expect(mappedLeadFields({ T: "toString" }, values)).toEqual({ T: null });
    expect(mappedLeadFields(null, values)).toEqual({});
    expect(mappedLeadFields({ a: "email" }, null)).toEqual({ a: null });
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
