import { describe, expect, it } from "vitest";
import { marketingColumns, type NamedMarketing } from "../../domain/capture/marketing.ts";
import { leadValueNames } from "../../domain/relay/targets.ts";

describe("lead values a buyer's field mapping may name", () => {
  it("include every marketing parameter stage 10 resolves", () => {
    const empty = new Proxy({}, { get: () => null }) as NamedMarketing;
    const names = new Set<string>(leadValueNames);
    expect(Object.keys(marketingColumns(empty)).filter((name) => !names.has(name))).toEqual([]);
  });

  it("are unique", () => {
    expect(new Set(leadValueNames).size).toBe(leadValueNames.length);
  });
});
