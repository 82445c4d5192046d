import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { executePrepared, statementName } from "../../db/prepared.ts";

describe("executePrepared", () => {
  it("hands the session the built text, its parameters and the text's name", async () => {
    const calls: unknown[][] = [];
    const executor = {
      dialect: new PgDialect(),
      session: {
        prepareQuery: (...args: unknown[]) => {
          calls.push(args);
          return { execute: async () => ({ rows: [{ n: 1 }] }) };
        },
      },
    };
    const result = await executePrepared(executor, sql`SELECT ${7}::int AS unit_exec`);
    expect(result.rows).toEqual([{ n: 1 }]);
    expect(calls[0]?.[2]).toBe(statementName("SELECT $1::int AS unit_exec"));
    expect(calls).toEqual([
      [
        { sql: "SELECT $1::int AS unit_exec", params: [7], typings: ["none"] },
        undefined,
        expect.stringMatching(/^leadrail_\d+$/),
        false,
      ],
    ]);
  });
});

describe("statementName", () => {
  it("names one text the same way every time, and different texts differently", () => {
    const a = statementName("SELECT $1::int AS unit_a");
    const b = statementName("SELECT $1::int AS unit_b");
    expect(a).toMatch(/^leadrail_\d+$/);
    expect(b).toMatch(/^leadrail_\d+$/);
    expect(a).not.toBe(b);
    expect(statementName("SELECT $1::int AS unit_a")).toBe(a);
  });

  it("stops naming new texts after 256, and keeps the names it gave", () => {
    const first = statementName("SELECT $1::int AS unit_first");
    for (let i = 0; i < 300; i++) statementName(`SELECT ${i} AS unit_filler`);
    expect(statementName("SELECT 'never seen before' AS unit_late")).toBeUndefined();
    expect(statementName("SELECT $1::int AS unit_first")).toBe(first);
  });
});
