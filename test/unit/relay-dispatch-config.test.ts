import { describe, expect, it } from "vitest";
import { planRelayJobs } from "../../domain/relay/dispatch.ts";

const partner = {
  id: 7,
  postbackUrl: "https://net.test/pb?c={click_id}&p={payout}&cur={currency}&e={event}",
  postbackMethod: "post" as const,
  postbackEvents: ["lead_accepted", "lead_restored"],
};
const buyer = (id: number, events?: string[]) => ({
  id,
  url: `https://buyer${id}.test/`,
  method: "post",
  fieldMapping: { e: "email" },
  ...(events ? { events } : {}),
});
const values = { email: "kim@naver.com", click_id: "clk" };

describe("relay dispatch with the partner's and buyers' delivery settings", () => {
  it("keeps the partner's payout and currency when it has a payout currency", () => {
    const [postback] = planRelayJobs({
      outcome: "new",
      captureId: "cap",
      partner: { ...partner, payout: 2_500, payoutCurrency: "USD" },
      targets: [],
      values,
    });
    expect(postback?.values).toMatchObject({ click_id: "clk", payout_minor: "2500", currency: "USD" });
    const [none] = planRelayJobs({
      outcome: "new",
      captureId: "cap",
      partner: { ...partner, payout: 0, payoutCurrency: null },
      targets: [],
      values,
    });
    expect(none?.values).toMatchObject({ payout_minor: "", currency: "" });
  });

  it("relays to a buyer only the events it takes", () => {
    const targets = [buyer(1, ["lead_accepted"]), buyer(2, ["lead_accepted", "lead_restored"]), buyer(3)];
    const relayed = (outcome: "new" | "restored") =>
      planRelayJobs({ outcome, captureId: "cap", partner: null, targets, values }).map(
        (job) => job.relayTargetId,
      );
    expect(relayed("new")).toEqual([1, 2, 3]);
    expect(relayed("restored")).toEqual([2, 3]);
  });
});
