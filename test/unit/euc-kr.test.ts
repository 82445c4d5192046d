import { describe, expect, it } from "vitest";
import { codePointOf, eucKrByteLength } from "../../domain/messaging/euc-kr.ts";

describe("eucKrByteLength", () => {
  it.each([
    ["", 0],
    ["A", 1],
    ["Hello, world!", 13],
    ["가", 2],
    ["안녕하세요", 10],
    ["(광고)", 6],
    ["(광고) 리드레일", 15],
    ["080-123-4567", 12],
    ["무료수신거부 080-123-4567", 25],
    // CP949 extension syllables (outside the 2,350 of KS X 1001) are 2 bytes too.
    ["똠햏", 4],
    ["ㄱㅏ", 4],
    ["漢字", 4],
    ["①€™…“”←·", 16],
    ["줄\n바꿈", 7],
    ["물음표?", 7],
  ])("%j is %i bytes", (text, bytes) => {
    expect(eucKrByteLength(text)).toEqual({ bytes, unencodable: [] });
  });

  it("names each character EUC-KR cannot encode, with its code point and UTF-16 index, counting it as ?", () => {
    expect(eucKrByteLength("할인😀 café?\u00a0끝")).toEqual({
      bytes: 14,
      unencodable: [
        { character: "😀", codePoint: "U+1F600", index: 2 },
        { character: "é", codePoint: "U+00E9", index: 8 },
        { character: "\u00a0", codePoint: "U+00A0", index: 10 },
      ],
    });
  });

  it("tells a ? of the text from a replaced character", () => {
    expect(eucKrByteLength("??")).toEqual({ bytes: 2, unencodable: [] });
    expect(eucKrByteLength("?é?")).toEqual({
      bytes: 3,
      unencodable: [{ character: "é", codePoint: "U+00E9", index: 1 }],
    });
  });

  it("refuses a lone surrogate", () => {
    expect(eucKrByteLength("가\ud800나")).toEqual({
      bytes: 5,
      unencodable: [{ character: "\ud800", codePoint: "U+D800", index: 1 }],
    });
  });

  it("counts 45 Hangul syllables as 90 bytes and 2,000 ASCII characters as 2,000", () => {
    expect(eucKrByteLength("가".repeat(45)).bytes).toBe(90);
    expect(eucKrByteLength("a".repeat(2000)).bytes).toBe(2000);
  });
});

describe("codePointOf", () => {
  it("writes U+ and at least four upper-case hex digits", () => {
    expect(["A", "가", "😀"].map(codePointOf)).toEqual(["U+0041", "U+AC00", "U+1F600"]);
  });
});
