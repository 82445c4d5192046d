import { describe, expect, it } from "vitest";
import { csvField, csvRecord, csvStream, wantsCsv } from "../../api/csv.ts";

describe("RFC 4180 CSV", () => {
  it("quotes a field holding a comma, a quote, CR or LF, doubling its quotes; null is empty", () => {
    expect(csvField("plain@example.com")).toBe("plain@example.com");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\rhere")).toBe('"cr\rhere"');
    expect(csvField(" spaced ")).toBe(" spaced ");
    expect(csvField(18_000)).toBe("18000");
    expect(csvField(null)).toBe("");
    expect(csvField("")).toBe("");
    expect(csvRecord(["x", null, 'q"', 3])).toBe('x,,"q""",3\r\n');
  });

  it("is asked for by ?format=csv, or an Accept that prefers text/csv to JSON", () => {
    expect(wantsCsv("csv", undefined)).toBe(true);
    expect(wantsCsv("json", "text/csv")).toBe(false);
    expect(wantsCsv(undefined, "text/csv")).toBe(true);
    expect(wantsCsv(undefined, "Text/CSV; charset=utf-8")).toBe(true);
    expect(wantsCsv(undefined, "text/csv, application/json")).toBe(true);
    expect(wantsCsv(undefined, "application/json, text/csv")).toBe(false);
    expect(wantsCsv(undefined, "*/*")).toBe(false);
    expect(wantsCsv(undefined, undefined)).toBe(false);
  });

  it("streams the header, then one chunk a page, and settles when done", async () => {
    const read: number[] = [];
    async function* pages() {
      for (const page of [[1, 2], [3]]) {
        read.push(page.length);
        yield page;
      }
    }
    const { body, finished } = csvStream(["n", "label"], pages(), (n) => [n, n === 2 ? "a,b" : `n${n}`]);
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe("n,label\r\n");
    const second = await reader.read();
    expect(decoder.decode(second.value)).toBe('1,n1\r\n2,"a,b"\r\n');
    expect(decoder.decode((await reader.read()).value)).toBe("3,n3\r\n");
    expect((await reader.read()).done).toBe(true);
    expect(read).toEqual([2, 1]);
    await expect(finished).resolves.toBeUndefined();
  });
});
