import { describe, expect, it } from "vitest";
import { decodeLinkToken } from "../../domain/messaging/links.ts";
import { SendPacer } from "../../domain/messaging/pacer.ts";
import { ProviderError } from "../../domain/messaging/provider.ts";
import { fillPlaceholders, fillTemplate, noticeChannel, trackedLink } from "../../domain/messaging/render.ts";
import {
  errorOutcome,
  errorUpdate,
  type LoadedSend,
  type PlannedSend,
  planSends,
  resultUpdate,
} from "../../domain/messaging/send-plan.ts";

const alphabet = "k3G7QAe51FCsPW92uEOyq4Bg6Sp8YzVTmnU0liwDdHXLajZrfxNhobJIRcMvKt";

function fakeClock() {
  let at = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => {
      at += ms;
    },
    clock: {
      now: () => at,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        at += ms;
      },
    },
  };
}

describe("the send pacer", () => {
  it("lets the rate through in any second and waits exactly for the oldest to leave the window", async () => {
    const fake = fakeClock();
    const pacer = new SendPacer(10, fake.clock);
    expect(await pacer.take(6)).toBe(0);
    fake.advance(300);
    expect(await pacer.take(4)).toBe(0);
    // 10 in the window: 3 more wait until the 6 sent at 0 ms have left (1000 ms), not until the 4.
    expect(await pacer.take(3)).toBe(700);
    expect(fake.sleeps).toEqual([700]);
    // Now 4 (at 300) + 3 (at 1000): 4 more wait for the 300 ms entry to leave at 1300.
    expect(await pacer.take(4)).toBe(300);
  });

  it("refuses a request larger than the rate", async () => {
    const pacer = new SendPacer(2, fakeClock().clock);
    await expect(pacer.take(3)).rejects.toThrow(RangeError);
    expect(() => new SendPacer(0)).toThrow(RangeError);
  });
});

describe("the text of a send", () => {
  it("fills {link}, {name} and a template's #{variables}", () => {
    const link = trackedLink("https://go.example/", alphabet, { sendId: 41, messageCampaignId: 7, arm: 1 });
    const token = link.slice("https://go.example/m/".length);
    expect(decodeLinkToken(alphabet, token)).toEqual({ sendId: 41, messageCampaignId: 7, arm: 1 });
    expect(fillPlaceholders("{name}님 {link} {other}", { name: "서연", link: () => link })).toBe(
      `서연님 ${link} {other}`,
    );
    expect(fillTemplate("#{name}님 #{order} #{missing}", { name: "서연", "#{order}": "A-1" })).toBe(
      "서연님 A-1 #{missing}",
    );
  });

  it("sends a notice as SMS up to 90 EUC-KR bytes, as LMS beyond", () => {
    expect(noticeChannel("가".repeat(45))).toBe("sms");
    expect(noticeChannel(`${"가".repeat(45)}a`)).toBe("lms");
  });
});

const base: LoadedSend = {
  id: 10,
  messageCampaignId: 3,
  arm: 0,
  brandId: 1,
  contactId: 5,
  channel: "lms",
  class: "advertising",
  status: "queued",
  heldUntil: null,
  provider: null,
  providerMessageId: null,
  attempts: 0,
  campaignStatus: "running",
  message: {
    text: "(광고)아크미 {name}님 {link} 02-930-2266\n무료수신거부 080-123-4567",
    subject: null,
    variables: {},
  },
  template: null,
  settings: {
    senderName: "아크미",
    senderContact: "02-930-2266",
    optOutNumber: "080-123-4567",
    senderNumber: "029302266",
    kakaoSenderKey: null,
    frequencyCaps: { lms: { max: 1, windowMs: 3_600_000 } },
    reconfirmText: "수신동의 확인 안내",
  },
  timeZone: "Asia/Seoul",
  phone: "+82 10-1234-5678",
  firstName: "서연",
  consents: [{ brandId: 1, channel: "sms", status: "granted", at: new Date("2025-09-01T00:00:00Z") }],
  optOuts: [],
  recent: [],
};
const options = {
  now: new Date("2026-06-01T03:00:00.000Z"),
  linkBaseUrl: "https://go.example",
  alphabet,
  customId: (id: number) => `send-${id}`,
  provider: "solapi",
};

describe("the plan of a batch", () => {
  it("maps each send to its outcome, counting a batch's own sends towards the cap", () => {
    const plan = planSends(
      [
        base,
        { ...base, id: 11 },
        { ...base, id: 12, status: "accepted" },
        { ...base, id: 13, campaignStatus: "paused" },
        { ...base, id: 14, contactId: 6, provider: "solapi", attempts: 1 },
        { ...base, id: 15, contactId: 7, status: "held", heldUntil: new Date("2026-06-01T04:00:00.000Z") },
        { ...base, id: 16, contactId: 8, phone: "02-930-2266" },
        { ...base, id: 17, contactId: 9, settings: null },
        { ...base, id: 18, contactId: 10, channel: "brand_message" },
      ],
      options,
    );
    expect(plan.map((d) => [d.id, d.kind, d.kind === "write" ? d.update.rule : null])).toEqual([
      [10, "send", null],
      [11, "write", "frequency.cap"],
      [12, "skip", null],
      [13, "skip", null],
      [14, "write", "provider.in_doubt"],
      [15, "later", null],
      [16, "write", "recipient.number"],
      [17, "write", "settings.missing"],
      [18, "write", "sender.kakao_key"],
    ]);
    const first = plan[0];
    if (first?.kind !== "send") throw new Error("not a send");
    expect(first.send.outbound).toMatchObject({
      channel: "lms",
      to: "01012345678",
      from: "029302266",
      customId: "send-10",
    });
    expect(first.send.outbound.text).toMatch(
      /^\(광고\)아크미 서연님 https:\/\/go\.example\/m\/\w+ 02-930-2266\n/,
    );
  });

  it("turns a reconfirmation into the brand's notice, informational, as SMS", () => {
    const [decision] = planSends(
      [
        {
          ...base,
          consents: [{ brandId: 1, channel: "sms", status: "granted", at: new Date("2024-05-01T00:00:00Z") }],
        },
      ],
      options,
    );
    if (decision?.kind !== "send") throw new Error("not a send");
    expect(decision.send).toMatchObject({
      purpose: "reconfirm",
      outbound: { channel: "sms", text: "수신동의 확인 안내", to: "01012345678" },
    });
  });

  const planned: PlannedSend = {
    id: 10,
    purpose: "message",
    toNumber: "01012345678",
    detail: null,
    outbound: { channel: "sms", to: "01012345678", from: "029302266", text: "안내", customId: "send-10" },
  };
  const at = new Date("2026-06-01T03:00:01.000Z");

  it("maps provider answers and errors to rows", () => {
    expect(
      resultUpdate(
        planned,
        { providerMessageId: "M4V1", customId: "send-10", status: "accepted", providerCode: "2000" },
        at,
      ),
    ).toMatchObject({
      status: "accepted",
      providerMessageId: "M4V1",
      providerCode: "2000",
      sentAt: at,
      rule: null,
    });
    expect(
      resultUpdate(
        planned,
        {
          providerMessageId: "M4V2",
          customId: "send-10",
          status: "rejected",
          providerCode: "1060",
          error: "차단된 수신번호",
        },
        at,
      ),
    ).toMatchObject({
      status: "rejected",
      rule: "1060",
      detail: "차단된 수신번호",
      finalAt: at,
      sentAt: null,
    });
    expect(
      resultUpdate(
        { ...planned, purpose: "reconfirm", detail: "due" },
        { providerMessageId: "M4V3", customId: "send-10", status: "accepted", providerCode: "2000" },
        at,
      ),
    ).toMatchObject({ status: "reconfirm", rule: "consent.reconfirm", detail: "due", sentAt: at });

    expect(errorOutcome(new ProviderError("http", "503", { httpStatus: 503 }))).toBe("retry");
    expect(errorOutcome(new ProviderError("http", "429", { httpStatus: 429 }))).toBe("retry");
    expect(errorOutcome(new ProviderError("timeout", "slow"))).toBe("doubt");
    expect(errorOutcome(new ProviderError("network", "reset"))).toBe("doubt");
    expect(errorOutcome(new ProviderError("http", "400", { httpStatus: 400 }))).toBe("reject");
    expect(
      errorUpdate(
        planned,
        new ProviderError("auth", "bad key", { httpStatus: 403, providerCode: "InvalidAPIKey" }),
        at,
        "solapi",
      ),
    ).toMatchObject({
      status: "rejected",
      rule: "provider.auth",
      providerCode: "InvalidAPIKey",
      detail: "bad key",
    });
    expect(errorUpdate(planned, new ProviderError("timeout", "slow"), at, "solapi")).toMatchObject({
      status: "failed",
      rule: "provider.in_doubt",
    });
  });
});
