import { describe, expect, it } from "vitest";
import { checkSend } from "../../domain/messaging/compliance.ts";
import { eucKrByteLength } from "../../domain/messaging/euc-kr.ts";

/*
 * The gate inside workerd, as the Worker will run it: iconv-lite's EUC-KR tables under nodejs_compat (its
 * Buffer comes from node:buffer there), and the time-zone data of workerd's Intl for the night hold.
 */
describe("the compliance gate inside workerd", () => {
  it("runs in workerd", () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
  });

  it("counts EUC-KR bytes with iconv-lite, extension syllables included, and names what it cannot encode", () => {
    expect(
      ["", "A", "가", "(광고)", "똠햏", "①€", "가".repeat(45), `${"가".repeat(45)}a`].map(
        (text) => eucKrByteLength(text).bytes,
      ),
    ).toEqual([0, 1, 2, 6, 4, 4, 90, 91]);
    expect(eucKrByteLength("할인😀 café")).toEqual({
      bytes: 10,
      unencodable: [
        { character: "😀", codePoint: "U+1F600", index: 2 },
        { character: "é", codePoint: "U+00E9", index: 8 },
      ],
    });
  });

  it("refuses the 91st SMS byte and holds a night advertisement across a DST change until 08:00", () => {
    const recipient = {
      timeZone: "America/Los_Angeles",
      consents: [
        {
          brandId: 1,
          channel: "sms" as const,
          status: "granted" as const,
          at: new Date("2026-01-01T00:00:00Z"),
        },
      ],
      optOuts: [],
      sends: [],
    };
    const context = {
      now: new Date("2026-03-08T05:00:00.000Z"),
      brandId: 1,
      sender: { name: "리드레일", contact: "02-1234-5678", optOutNumber: "080-123-4567" },
      frequencyCaps: {},
    };
    const text = "(광고)리드레일 02-1234-5678 봄세일\n무료거부 080-123-4567";
    expect(
      checkSend({ channel: "sms", class: "informational", text: `${"가".repeat(45)}a` }, recipient, context),
    ).toEqual({
      decision: "refuse",
      rule: "length.sms",
      detail: "91 bytes in EUC-KR, over the 90 of SMS; send it as LMS",
    });
    expect(checkSend({ channel: "sms", class: "advertising", text }, recipient, context)).toEqual({
      decision: "hold",
      rule: "night.hold",
      until: new Date("2026-03-08T15:00:00.000Z"),
      detail:
        "No advertising 21:00–08:00 in America/Los_Angeles without night-time consent; held until 08:00 there",
    });
  });
});
