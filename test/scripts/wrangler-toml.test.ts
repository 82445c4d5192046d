import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compatibilityDate } from "../../bench/common.ts";
import { wranglerCompatibilityDate, wranglerTomlVars } from "../../scripts/lib/wrangler.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "leadrail-toml-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tomlFile(text: string): string {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(file, text);
  return file;
}

describe("wrangler.toml", () => {
  it("[vars] is read as TOML: #, escaped quotes, multi-line strings, literal strings, non-strings", () => {
    const file = tomlFile(`name = "x"
compatibility_date = "2025-01-02"

[vars]
HASH = "https://example.com/#top" # a comment after it
QUOTE = "say \\"hi\\" \\\\ done"
LITERAL = 'C:\\path\\no-escapes'
MULTI = """
first line
second "line\\""""
TTL = 5000
ON = true
LIST = ["a", "b"]
INLINE = { a = 1 }
SPACED   =   "  kept  "

[[kv_namespaces]]
binding = "NOT_A_VAR"
id = "x"
`);
    expect(wranglerTomlVars(file)).toEqual({
      HASH: "https://example.com/#top",
      QUOTE: 'say "hi" \\ done',
      LITERAL: "C:\\path\\no-escapes",
      MULTI: 'first line\nsecond "line"',
      TTL: "5000",
      ON: "true",
      LIST: '["a","b"]',
      INLINE: '{"a":1}',
      SPACED: "  kept  ",
    });
    expect(wranglerCompatibilityDate(file)).toBe("2025-01-02");
  });

  it("a dotted [vars] key and a vars table written inline are vars too", () => {
    expect(wranglerTomlVars(tomlFile('vars = { A = "1", B = "two # three" }\n'))).toEqual({
      A: "1",
      B: "two # three",
    });
    expect(wranglerTomlVars(tomlFile('vars.A = "1"\n'))).toEqual({ A: "1" });
  });

  it("no [vars] is no vars; invalid TOML and a missing date are errors naming the file", () => {
    expect(wranglerTomlVars(tomlFile('name = "x"\n'))).toEqual({});
    const broken = tomlFile('[vars]\nA = "unterminated\n');
    expect(() => wranglerTomlVars(broken)).toThrow(`${broken} is not valid TOML`);
    const undated = tomlFile('name = "x"\n');
    expect(() => wranglerCompatibilityDate(undated)).toThrow(
      `${undated}: compatibility_date is missing or not a "YYYY-MM-DD" string`,
    );
  });

  it("the repository's own file: its vars and the date the benches use", () => {
    const vars = wranglerTomlVars();
    expect(vars.SQIDS_ALPHABET).toBe("k3G7QAe51FCsPW92uEOyq4Bg6Sp8YzVTmnU0liwDdHXLajZrfxNhobJIRcMvKt");
    expect(vars.EDGE_CACHE_TTL_MS).toBe("5000");
    expect(vars.DB_WS_PROXY).toBe("");
    expect(wranglerCompatibilityDate()).toBe("2026-10-01");
    expect(compatibilityDate <= "2026-10-01").toBe(true);
  });
});
