/**
 * Two modules reach into libraries' private parts: domain/core/hash-ids.ts replaces sqids' `isBlockedId`
 * and remembers its `shuffle` (both private in its types), and db/prepared.ts calls drizzle's
 * `session.prepareQuery` and `dialect.sqlToQuery` on a database or transaction. Both libraries are
 * pinned to an exact version for it; these tests say which internal changed when an upgrade breaks
 * the assumptions, instead of ids silently changing or statements silently running unnamed.
 */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import { PgDialect, PgSession } from "drizzle-orm/pg-core";
import { npmVersion as drizzleVersion } from "drizzle-orm/version";
import Sqids from "sqids";
import sqidsPackage from "sqids/package.json";
import { describe, expect, it } from "vitest";
import { executePrepared, statementName } from "../../db/prepared.ts";
import { blockedIdCheck, entityKinds, hashIds, remembered } from "../../domain/core/hash-ids.ts";
import project from "../../package.json";

const alphabet = "k3G7QAe51FCsPW92uEOyq4Bg6Sp8YzVTmnU0liwDdHXLajZrfxNhobJIRcMvKt";

/** Fails with a message naming the library, the internal and what its patch relies on. */
function assumed(condition: boolean, library: string, internal: string, why: string): void {
  if (!condition) {
    throw new Error(
      `${library} internals changed: ${internal} ${why}. It is patched by ${
        library === "sqids" ? "domain/core/hash-ids.ts" : "db/prepared.ts"
      }; check it against the new version before moving the pin in package.json.`,
    );
  }
}

describe("pinned versions", () => {
  it("pins sqids and drizzle-orm exactly, to the versions installed", () => {
    expect(
      project.dependencies.sqids,
      "sqids must be pinned exactly (domain/core/hash-ids.ts patches it)",
    ).toBe("0.3.0");
    expect(
      project.dependencies["drizzle-orm"],
      "drizzle-orm must be pinned exactly (db/prepared.ts uses its internals)",
    ).toBe("0.45.4");
    expect(sqidsPackage.version, "installed sqids differs from the pin").toBe(project.dependencies.sqids);
    expect(drizzleVersion, "installed drizzle-orm differs from the pin").toBe(
      project.dependencies["drizzle-orm"],
    );
  });
});

interface SqidsInternals {
  blocklist: Set<string>;
  isBlockedId: (id: string) => boolean;
  shuffle: (alphabet: string) => string;
}
const internalsOf = (sqids: Sqids): SqidsInternals => sqids as unknown as SqidsInternals;

describe("sqids internals patched by domain/core/hash-ids.ts", () => {
  it("has the private methods and field the patch replaces, with their shapes", () => {
    const prototype = Sqids.prototype as unknown as Record<string, unknown>;
    const shuffle = prototype.shuffle;
    const isBlockedId = prototype.isBlockedId;
    assumed(typeof shuffle === "function", "sqids", "Sqids.prototype.shuffle", "is no longer a method");
    assumed(
      typeof shuffle === "function" && shuffle.length === 1,
      "sqids",
      "shuffle",
      "no longer takes exactly one argument (the alphabet)",
    );
    assumed(
      typeof isBlockedId === "function",
      "sqids",
      "Sqids.prototype.isBlockedId",
      "is no longer a method",
    );
    assumed(
      typeof isBlockedId === "function" && isBlockedId.length === 1,
      "sqids",
      "isBlockedId",
      "no longer takes exactly one argument (the id)",
    );
    const { blocklist } = internalsOf(new Sqids({ alphabet, minLength: 8 }));
    assumed(blocklist instanceof Set, "sqids", "the `blocklist` field", "is no longer a Set");
    const words = [...blocklist];
    assumed(words.length > 100, "sqids", "the `blocklist` field", "no longer holds the default words");
    assumed(
      words.every((word) => typeof word === "string" && word === word.toLowerCase()),
      "sqids",
      "the `blocklist` field",
      "no longer holds lower-case strings",
    );
  });

  it("calls shuffle and isBlockedId through the instance, so replacing them takes effect", () => {
    const sqids = new Sqids({ alphabet, minLength: 8 });
    const internals = internalsOf(sqids);
    const calls = { shuffle: 0, isBlockedId: 0 };
    const shuffle = internals.shuffle.bind(sqids);
    const isBlockedId = internals.isBlockedId.bind(sqids);
    internals.shuffle = (value) => {
      calls.shuffle += 1;
      return shuffle(value);
    };
    internals.isBlockedId = (id) => {
      calls.isBlockedId += 1;
      return isBlockedId(id);
    };
    const id = sqids.encode([entityKinds.order, 12_345]);
    assumed(
      calls.shuffle > 0,
      "sqids",
      "encode",
      "no longer calls this.shuffle (the remembered shuffle is unused)",
    );
    assumed(
      calls.isBlockedId > 0,
      "sqids",
      "encode",
      "no longer calls this.isBlockedId (the compiled check is unused)",
    );
    calls.shuffle = 0;
    expect(sqids.decode(id)).toEqual([entityKinds.order, 12_345]);
    assumed(calls.shuffle > 0, "sqids", "decode", "no longer calls this.shuffle");
  });

  it("shuffles as a function of the alphabet alone, which remembering it relies on", () => {
    const a = internalsOf(new Sqids({ alphabet, minLength: 8 }));
    const b = internalsOf(new Sqids({ minLength: 0, blocklist: new Set() }));
    for (const value of [alphabet, [...alphabet].reverse().join(""), "abc", "0123456789"]) {
      const first = a.shuffle(value);
      assumed(
        a.shuffle(value) === first && b.shuffle(value) === first,
        "sqids",
        "shuffle",
        "now depends on more than its argument (instance state or call history)",
      );
    }
  });

  it("decides and encodes exactly as the patched copy does, on sample inputs", () => {
    const plain = new Sqids({ alphabet, minLength: 8 });
    const { blocklist, isBlockedId } = internalsOf(plain);
    const check = blockedIdCheck(blocklist);
    // Blocklist words in the places the rules look at, and strings of the alphabet of an id's lengths.
    let state = 11;
    const next = () => {
      state = (state * 48_271) % 2_147_483_647;
      return state;
    };
    const samples = [
      ...[...blocklist].flatMap((word) => [word, `${word}x9Q`, `Zq7${word}`, `ab${word}cd`, word.slice(1)]),
      ...Array.from({ length: 3_000 }, () =>
        Array.from({ length: 8 + (next() % 5) }, () => alphabet[next() % alphabet.length]).join(""),
      ),
    ];
    const differing = samples.filter((id) => check(id) !== isBlockedId.call(plain, id));
    assumed(
      differing.length === 0,
      "sqids",
      "isBlockedId",
      `decides differently from blockedIdCheck for ${JSON.stringify(differing.slice(0, 5))}`,
    );

    const { shuffle } = internalsOf(plain);
    const memo = remembered(shuffle.bind(plain));
    const shuffled = [alphabet, "abcdefghij", alphabet.slice(7) + alphabet.slice(0, 7)];
    assumed(
      shuffled.every(
        (value) => memo(value) === shuffle.call(plain, value) && memo(value) === shuffle.call(plain, value),
      ),
      "sqids",
      "shuffle",
      "gives another result when remembered",
    );

    const codec = hashIds(alphabet);
    const ids = [1, 2, 61, 62, 3_844, 2 ** 31, Number.MAX_SAFE_INTEGER];
    for (const kind of Object.keys(entityKinds) as (keyof typeof entityKinds)[]) {
      for (const id of ids) {
        const expected = plain.encode([entityKinds[kind], id]);
        assumed(
          codec.encode(kind, id) === expected && codec.decode(kind, expected) === id,
          "sqids",
          "encode/decode",
          `give ${expected} for ${kind} ${id} unpatched but not patched`,
        );
      }
    }
  });
});

describe("drizzle internals used by db/prepared.ts", () => {
  /** A driver client that records what drizzle hands it and answers with no rows. */
  const recordingClient = () => {
    const queries: { name?: string; text: string; values: unknown }[] = [];
    const client = {
      query: async (config: { name?: string; text: string; values?: unknown }, values?: unknown) => {
        queries.push({ name: config.name, text: config.text, values: values ?? config.values });
        return { rows: [], fields: [], rowCount: 0, command: "SELECT" };
      },
    };
    return { client, queries };
  };

  it("keeps a database's session and dialect where executePrepared finds them", () => {
    const { client } = recordingClient();
    const db = drizzle({ client: client as never }) as unknown as Record<string, unknown>;
    assumed(db.dialect instanceof PgDialect, "drizzle-orm", "PgDatabase.dialect", "is no longer a PgDialect");
    assumed(db.session instanceof PgSession, "drizzle-orm", "PgDatabase.session", "is no longer a PgSession");
    const session = db.session as { prepareQuery?: unknown };
    assumed(
      typeof session.prepareQuery === "function",
      "drizzle-orm",
      "NeonSession.prepareQuery",
      "is no longer a method",
    );
    const dialect = db.dialect as PgDialect;
    assumed(
      typeof dialect.sqlToQuery === "function",
      "drizzle-orm",
      "PgDialect.sqlToQuery",
      "is no longer a method",
    );
    const built = dialect.sqlToQuery(sql`SELECT ${7}::int AS n, ${"x"} AS s`);
    assumed(
      built.sql === "SELECT $1::int AS n, $2 AS s" && JSON.stringify(built.params) === '[7,"x"]',
      "drizzle-orm",
      "PgDialect.sqlToQuery",
      `no longer builds { sql, params } with $n placeholders (got ${JSON.stringify(built)})`,
    );
  });

  it("sends a statement prepared under a name to the driver under that name, on a database and in a transaction", async () => {
    const { client, queries } = recordingClient();
    const db = drizzle({ client: client as never });
    await executePrepared(db, sql`SELECT ${1}::int AS internals_db`);
    await db.transaction(async (tx) => {
      await executePrepared(tx, sql`SELECT ${2}::int AS internals_tx`);
    });
    const named = queries.filter((query) => query.text.includes("internals_"));
    assumed(
      named.length === 2 &&
        named[0]?.name === statementName("SELECT $1::int AS internals_db") &&
        named[1]?.name === statementName("SELECT $1::int AS internals_tx"),
      "drizzle-orm",
      "session.prepareQuery(query, fields, name, isResponseInArrayMode)",
      `no longer hands its third argument to the driver as the statement name (sent ${JSON.stringify(named)})`,
    );
    expect(named.map((query) => query.values)).toEqual([[1], [2]]);
    // The transaction ran on the same client, between its begin and commit.
    expect(queries.map((query) => query.text.trim())).toEqual([
      "SELECT $1::int AS internals_db",
      "begin",
      "SELECT $1::int AS internals_tx",
      "commit",
    ]);
  });
});
