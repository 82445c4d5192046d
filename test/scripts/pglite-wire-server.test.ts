import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDatabase, startEmbeddedPostgres } from "../../scripts/lib/database.ts";

describe("embedded Postgres served to many connections", () => {
  let database: RunningDatabase;
  beforeAll(async () => {
    database = await startEmbeddedPostgres();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query("CREATE TABLE k (id int PRIMARY KEY, h text NOT NULL UNIQUE)");
    await client.query("INSERT INTO k SELECT g, 'h' || g FROM generate_series(1, 50) g");
    await client.query("CREATE TABLE w (id serial PRIMARY KEY, who int NOT NULL)");
    await client.end();
  });
  afterAll(async () => database.stop());

  it("keeps each connection's extended-protocol rounds and transactions whole", async () => {
    const rounds = 20;
    const workers = 6;
    const results = await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        let found = 0;
        for (let round = 0; round < rounds; round++) {
          const id = ((worker * rounds + round) % 50) + 1;
          const lookup = await client.query("SELECT id FROM k WHERE h = $1", [`h${id}`]);
          if (lookup.rows[0]?.id === id) found++;
          await client.query("BEGIN");
          await client.query("INSERT INTO w (who) VALUES ($1)", [worker]);
          await client.query(round % 2 === 0 ? "COMMIT" : "ROLLBACK");
        }
        await client.end();
        return found;
      }),
    );
    expect(results).toEqual(Array.from({ length: workers }, () => rounds));
    const check = new pg.Client({ connectionString: database.url });
    await check.connect();
    const written = await check.query("SELECT who, count(*)::int AS n FROM w GROUP BY who ORDER BY who");
    await check.end();
    expect(written.rows).toEqual(Array.from({ length: workers }, (_, who) => ({ who, n: rounds / 2 })));
  });

  it("rolls back a transaction left open by a client that disconnected", async () => {
    const quitter = new pg.Client({ connectionString: database.url });
    await quitter.connect();
    await quitter.query("BEGIN");
    await quitter.query("INSERT INTO w (who) VALUES (99)");
    await quitter.end();
    const check = new pg.Client({ connectionString: database.url });
    await check.connect();
    const left = await check.query("SELECT count(*)::int AS n FROM w WHERE who = 99");
    await check.end();
    expect(left.rows[0]).toEqual({ n: 0 });
  });

  it("gives each connection its own prepared statements, deallocated when it closes", async () => {
    const a = new pg.Client({ connectionString: database.url });
    const b = new pg.Client({ connectionString: database.url });
    await a.connect();
    await b.connect();
    // One name, two texts: on one backend the second Parse would fail with "already exists".
    const viaA = await a.query({ name: "s", text: "SELECT $1::int + 1 AS n", values: [1] });
    const viaB = await b.query({ name: "s", text: "SELECT $1::int * 10 AS n", values: [1] });
    expect([viaA.rows, viaB.rows]).toEqual([[{ n: 2 }], [{ n: 10 }]]);
    const held = "SELECT name FROM pg_prepared_statements WHERE name LIKE 'c%\\_s' ORDER BY name";
    expect((await a.query(held)).rows).toHaveLength(2);
    await a.end();
    await b.end();
    // The server deallocates when it sees the sockets close, which the clients do not wait for.
    const check = new pg.Client({ connectionString: database.url });
    await check.connect();
    let left = await check.query(held);
    for (let i = 0; i < 50 && left.rows.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      left = await check.query(held);
    }
    await check.end();
    expect(left.rows).toEqual([]);
  });
});
