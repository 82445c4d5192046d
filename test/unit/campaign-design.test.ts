import { describe, expect, it } from "vitest";
import {
  designErrors,
  fillTemplate,
  linkTarget,
  rangesOf,
  renderedForCheck,
} from "../../domain/campaigns/design.ts";
import { sendBatches } from "../../domain/campaigns/launch.ts";
import { checkMessage, checkSend, messageRules } from "../../domain/messaging/compliance.ts";

const sender = { name: "봄샵", contact: "02-930-2266", optOutNumber: "080-123-4567" };
const context = { templates: new Map(), sender, linkBaseUrl: "https://go.example/" };
const sms = { channel: "sms", class: "informational", text: "안내" } as const;

describe("campaign design", () => {
  it("one arm takes every bucket; more are split by armRanges", () => {
    expect(rangesOf([{ name: "only", role: "control", weight: 7 }])).toEqual([
      { arm: "only", role: "control", from: 0, to: 10_000 },
    ]);
    expect(
      rangesOf([
        { name: "a", role: "control", weight: 1 },
        { name: "b", role: "variant", weight: 1 },
        { name: "h", role: "holdout", weight: 1 },
      ]).map((range) => [range.from, range.to]),
    ).toEqual([
      [0, 3334],
      [3334, 6667],
      [6667, 10_000],
    ]);
  });

  it("counts {link} at its rendered length and fills template variables", () => {
    expect(renderedForCheck("가 {link} 나 {link}", "https://go.example/")).toBe(
      "가 https://go.example/m/xxxxxxxxxxxxxxxx 나 https://go.example/m/xxxxxxxxxxxxxxxx",
    );
    expect(fillTemplate("#{name}님 #{item} #{name}", { name: "민수" })).toEqual({
      text: "민수님 #{item} 민수",
      missing: ["item"],
    });
  });

  it("adds the utm parameters to a link target, replacing any the URL had", () => {
    expect(
      linkTarget("https://shop.example/p?utm_source=x&a=1", {
        channel: "sms",
        campaignCode: "spring 24",
        arm: "B",
      }),
    ).toBe(
      "https://shop.example/p?utm_source=leadrail&a=1&utm_medium=sms&utm_campaign=spring+24&utm_content=B",
    );
  });

  it("names every bad field of arms and experiment", () => {
    expect(designErrors([{ name: "a", role: "control", weight: 1, message: sms }], null, context)).toEqual(
      [],
    );
    expect(
      designErrors(
        [
          { name: "a", role: "control", weight: 9000, message: { ...sms, text: "(광고) 세일" } },
          { name: "a", role: "variant", weight: 1001, message: { ...sms, subject: "제목" } },
          { name: "h", role: "holdout", weight: 1 },
        ],
        null,
        context,
      ).map(({ field, category }) => ({ field, category })),
    ).toEqual([
      { field: "arms", category: "out_of_range" },
      { field: "experiment", category: "missing" },
      { field: "arms[1].name", category: "not_allowed" },
      { field: "arms[1].message.subject", category: "not_allowed" },
    ]);
    const ad = designErrors(
      [
        {
          name: "a",
          role: "control",
          weight: 1,
          message: { channel: "lms", class: "advertising", text: "세일" },
        },
      ],
      null,
      { ...context, sender: null },
    );
    expect(ad.map((error) => error.field)).toEqual(["arms[0].message.class"]);
    expect(ad[0]?.message).toMatch(/^brand messaging settings missing/);
  });

  it("checkMessage applies the gate's first eleven rules, as checkSend does", () => {
    expect(messageRules).toEqual([
      "text.empty",
      "alimtalk.advertising",
      "alimtalk.template",
      "encoding.euc_kr",
      "length.sms",
      "length.lms",
      "length.alimtalk",
      "length.brand_message",
      "ad.prefix",
      "ad.sender",
      "ad.optout",
    ]);
    const message = { channel: "lms", class: "advertising", text: "(광고) 봄샵 02-930-2266" } as const;
    const refusal = checkMessage(message, sender);
    expect(refusal?.rule).toBe("ad.optout");
    const recipient = { timeZone: "Asia/Seoul", consents: [], optOuts: [], sends: [] };
    expect(checkSend(message, recipient, { now: new Date(), brandId: 1, sender, frequencyCaps: {} })).toEqual(
      refusal,
    );
    expect(
      checkMessage({ ...message, text: `${message.text}\n무료수신거부 080-123-4567` }, sender),
    ).toBeNull();
  });

  it("groups queue messages into sendBatch calls of at most 100 and 200 KB", () => {
    const chunk = (start: number) => Array.from({ length: 500 }, (_, i) => 1_000_000_000 + start + i);
    const chunks = Array.from({ length: 150 }, (_, i) => chunk(i * 500));
    const batches = sendBatches(chunks);
    expect(batches.map((batch) => batch.length)).toEqual([35, 35, 35, 35, 10]);
    expect(batches.every((batch) => JSON.stringify(batch).length < 256_000)).toBe(true);
    expect(sendBatches([[1, 2], [3]])).toEqual([
      [
        { type: "sends", sendIds: [1, 2] },
        { type: "sends", sendIds: [3] },
      ],
    ]);
  });
});
