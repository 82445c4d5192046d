import net from "node:net";
import { Client, neonConfig, Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  createScratchDatabase,
  externalDatabase,
  type RunningDatabase,
  startEmbeddedPostgres,
} from "../../scripts/lib/database.ts";
import { fatalError, MessageFramer, message } from "../../scripts/lib/pg-wire.ts";
import { type BridgeHandle, startWsBridge } from "../../scripts/lib/ws-bridge.ts";

/** A TCP proxy in front of the database that counts the server connections the bridge opens. */
async function countingProxy(target: { host: string; port: number }) {
  const state = { opened: 0, open: 0 };
  const server = net.createServer((client) => {
    state.opened += 1;
    state.open += 1;
    const upstream = net.connect(target.port, target.host);
    client.pipe(upstream).pipe(client);
    const done = () => {
      client.destroy();
      upstream.destroy();
    };
    let counted = true;
    const closed = () => {
      if (counted) state.open -= 1;
      counted = false;
      done();
    };
    client.on("close", closed);
    upstream.on("close", closed);
    client.on("error", done);
    upstream.on("error", done);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { state, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Frontend messages built by hand, for tests that must see every message the client gets. */
const wire = {
  cstr: (text: string) => Buffer.from(`${text}\0`, "utf8"),
  msg: (type: string, ...parts: Buffer[]) => message(type, Buffer.concat(parts)),
  int16: (n: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return b;
  },
  int32: (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  },
  parse: (name: string, text: string) => wire.msg("P", wire.cstr(name), wire.cstr(text), wire.int16(0)),
  /** Bind of text parameters to the unnamed portal, text results. */
  bind: (statement: string, values: string[]) =>
    wire.msg(
      "B",
      wire.cstr(""),
      wire.cstr(statement),
      wire.int16(0),
      wire.int16(values.length),
      ...values.flatMap((value) => [wire.int32(Buffer.byteLength(value)), Buffer.from(value)]),
      wire.int16(0),
    ),
  execute: () => wire.msg("E", wire.cstr(""), wire.int32(0)),
  describeStatement: (name: string) => wire.msg("D", Buffer.from("S"), wire.cstr(name)),
  closeStatement: (name: string) => wire.msg("C", Buffer.from("S"), wire.cstr(name)),
  sync: () => wire.msg("S"),
  query: (text: string) => wire.msg("Q", wire.cstr(text)),
};

/**
 * A frontend speaking the protocol by hand over the bridge: `round` sends messages and returns every
 * message the client receives up to the ReadyForQuery, as its type letter, with DataRow values and
 * ErrorResponse SQLSTATEs spelled out (`D:42`, `E:26000`).
 */
async function rawClient(bridgePort: number, database: { host: string; port: number; url: string }) {
  const target = new URL(database.url);
  const ws = new WebSocket(`ws://127.0.0.1:${bridgePort}/v2?address=${database.host}:${database.port}`);
  const framer = new MessageFramer();
  const received: string[] = [];
  let waiting: { resolve: (seen: string[]) => void } | null = null;
  ws.on("message", (data: Buffer) => {
    framer.push(Buffer.from(data));
    for (let next = framer.next(); next; next = framer.next()) {
      const type = String.fromCharCode(next[0] ?? 0);
      if (type === "D") {
        const length = next.readInt32BE(7);
        received.push(`D:${length < 0 ? "null" : next.toString("utf8", 11, 11 + length)}`);
      } else if (type === "E") {
        received.push(`E:${/C([0-9A-Z]{5})\0/.exec(next.toString("latin1"))?.[1]}`);
      } else received.push(type);
      if (type === "Z" && waiting) {
        const seen = received.splice(0);
        const done = waiting;
        waiting = null;
        done.resolve(seen);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const round = (...messages: Buffer[]) =>
    new Promise<string[]>((resolve) => {
      waiting = { resolve };
      ws.send(Buffer.concat(messages));
    });
  const parameters = Buffer.concat([
    wire.cstr("user"),
    wire.cstr(decodeURIComponent(target.username) || "postgres"),
    wire.cstr("database"),
    wire.cstr(target.pathname.slice(1) || "postgres"),
    // What the Neon driver adds, so that both share one pool of server connections.
    wire.cstr("client_encoding"),
    wire.cstr("UTF8"),
    Buffer.from([0]),
  ]);
  const startup = Buffer.concat([wire.int32(8 + parameters.length), wire.int32(196608), parameters]);
  const greeting = await round(startup);
  expect(greeting.at(-1)).toBe("Z");
  return {
    round,
    close: () => {
      ws.send(wire.msg("X"));
      ws.close();
    },
  };
}

const serverUrl = process.env.DATABASE_URL;

describe("pooling bridge", () => {
  let database: RunningDatabase & { drop(): Promise<void> };
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let bridge: BridgeHandle;
  let url: string;

  beforeAll(async () => {
    if (serverUrl) {
      const scratch = await createScratchDatabase(serverUrl, `leadrail_pooler_${process.pid}`);
      database = { ...externalDatabase(scratch.url), drop: scratch.drop };
    } else {
      const embedded = await startEmbeddedPostgres();
      database = { ...embedded, drop: async () => {} };
    }
    proxy = await countingProxy(database);
    bridge = await startWsBridge({ host: "127.0.0.1", port: proxy.port }, 0, {
      pool: { max: 3, waitMs: 1_500 },
    });
    neonConfig.webSocketConstructor = WebSocket;
    neonConfig.wsProxy = (host, port) => `127.0.0.1:${bridge.port}/v2?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    neonConfig.pipelineTLS = false;
    url = database.url;
    const setup = new Client(url);
    await setup.connect();
    await setup.query("CREATE TABLE pooled_rows (n integer NOT NULL)");
    await setup.end();
  }, 60_000);

  afterAll(async () => {
    await bridge?.close();
    await proxy?.close();
    await database?.stop();
    await database?.drop();
  });

  const count = async (): Promise<number> => {
    const client = new Client(url);
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pooled_rows");
      return rows[0]?.n ?? -1;
    } finally {
      await client.end();
    }
  };

  it("serves 40 clients one after the other from one server connection", async () => {
    const before = proxy.state.opened;
    for (let i = 0; i < 40; i++) {
      const pool = new Pool({ connectionString: url, max: 1 });
      const { rows } = await pool.query<{ n: number }>("SELECT $1::int + 1 AS n", [i]);
      expect(rows).toEqual([{ n: i + 1 }]);
      await pool.end();
    }
    expect(proxy.state.opened - before).toBeLessThanOrEqual(1);
    expect(proxy.state.open).toBe(1);
  });

  it("prepares a named statement once per server connection for every client that parses it", async () => {
    for (let i = 0; i < 40; i++) {
      const pool = new Pool({ connectionString: url, max: 1 });
      const { rows } = await pool.query<{ n: number }>({
        name: "add_one",
        text: "SELECT $1::int + 1 AS n",
        values: [i],
      });
      expect(rows).toEqual([{ n: i + 1 }]);
      await pool.end();
    }
    const pool = new Pool({ connectionString: url, max: 1 });
    const { rows } = await pool.query<{ name: string; statement: string; runs: number }>(
      `SELECT name, statement, (generic_plans + custom_plans)::int AS runs
         FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int + 1%'`,
    );
    await pool.end();
    expect(rows).toEqual([
      {
        // PGlite's wire server prefixes each connection's statements (c1_…), one backend holding them all.
        name: expect.stringMatching(/^(c\d+_)?lr_[0-9a-f]{40}$/),
        statement: "SELECT $1::int + 1 AS n",
        runs: 40,
      },
    ]);
  });

  it("answers a Parse of a statement the server holds in place, and translates Describe and Close", async () => {
    const first = await rawClient(bridge.port, database);
    const second = await rawClient(bridge.port, database);
    try {
      const run = (statement: string, value: string) => [wire.bind(statement, [value]), wire.execute()];
      expect(
        await first.round(wire.parse("s", "SELECT $1::int * 2"), ...run("s", "21"), wire.sync()),
      ).toEqual(["1", "2", "D:42", "C", "Z"]);
      // The second client's own name for the same statement; the server connection holds it already.
      expect(
        await second.round(wire.parse("double", "SELECT $1::int * 2"), ...run("double", "5"), wire.sync()),
      ).toEqual(["1", "2", "D:10", "C", "Z"]);
      expect(await second.round(wire.describeStatement("double"), wire.sync())).toEqual(["t", "T", "Z"]);
      expect(await second.round(wire.closeStatement("double"), wire.sync())).toEqual(["3", "Z"]);
      // Closed for this client, which now gets the server's own error; the other client still has it.
      expect(await second.round(...run("double", "1"), wire.sync())).toEqual(["E:26000", "Z"]);
      expect(await first.round(...run("s", "4"), wire.sync())).toEqual(["2", "D:8", "C", "Z"]);
      // A Parse that fails leaves nothing behind: parsed again, it fails again.
      for (let i = 0; i < 2; i++) {
        expect(await first.round(wire.parse("broken", "SELEC 1"), wire.sync())).toEqual(["E:42601", "Z"]);
      }
      // A Parse skipped after an earlier error in its round is not taken for prepared either.
      expect(await first.round(wire.query("SELECT 1/0"))).toEqual(["E:22012", "Z"]);
      expect(
        await first.round(...run("missing", "1"), wire.parse("later", "SELECT $1::int + 100"), wire.sync()),
      ).toEqual(["E:26000", "Z"]);
      expect(
        await first.round(wire.parse("later", "SELECT $1::int + 100"), ...run("later", "1"), wire.sync()),
      ).toEqual(["1", "2", "D:101", "C", "Z"]);
    } finally {
      first.close();
      second.close();
    }
  });

  it.skipIf(!serverUrl)(
    "prepares a client's statement again, unseen, on the next server connection it is lent",
    async () => {
      const a = await rawClient(bridge.port, database);
      const b = await rawClient(bridge.port, database);
      try {
        const pid = "SELECT pg_backend_pid()::text || ':' || $1::text";
        const first = await a.round(
          wire.parse("who", pid),
          wire.bind("who", ["x"]),
          wire.execute(),
          wire.sync(),
        );
        expect(first.slice(0, 2)).toEqual(["1", "2"]);
        // B holds A's last server connection in a transaction, so A's next round runs on another.
        expect(await b.round(wire.query("BEGIN"))).toEqual(["C", "Z"]);
        const again = await a.round(wire.bind("who", ["y"]), wire.execute(), wire.sync());
        expect(again).toEqual(["2", expect.stringMatching(/^D:\d+:y$/), "C", "Z"]);
        expect(again[1]?.split(":")[1]).not.toBe(first[2]?.split(":")[1]);
        expect(await b.round(wire.query("COMMIT"))).toEqual(["C", "Z"]);
      } finally {
        a.close();
        b.close();
      }
    },
  );

  it.skipIf(!serverUrl)(
    "keeps a transaction on one server connection while other clients use others",
    async () => {
      const a = new Client(url);
      const b = new Client(url);
      await a.connect();
      await b.connect();
      try {
        await a.query("BEGIN");
        const first = await a.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        await a.query("INSERT INTO pooled_rows VALUES (1)");
        // B runs while A's transaction is open: on another connection, and without A's row.
        const other = await b.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        expect(other.rows[0]?.pid).not.toBe(first.rows[0]?.pid);
        expect(await count()).toBe(0);
        const again = await a.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        expect(again.rows[0]?.pid).toBe(first.rows[0]?.pid);
        await a.query("COMMIT");
        expect(await count()).toBe(1);
      } finally {
        await a.end();
        await b.end();
        const cleanup = new Client(url);
        await cleanup.connect();
        await cleanup.query("DELETE FROM pooled_rows");
        await cleanup.end();
      }
    },
  );

  it.skipIf(!serverUrl)(
    "rolls back the transaction of a client that leaves in the middle of it",
    async () => {
      const a = new Client(url);
      await a.connect();
      await a.query("BEGIN");
      await a.query("INSERT INTO pooled_rows VALUES (2)");
      await a.end();
      expect(await count()).toBe(0);
    },
  );

  it.skipIf(!serverUrl)(
    "keeps a failed transaction's connection until ROLLBACK, then lends it again",
    async () => {
      const a = new Client(url);
      await a.connect();
      try {
        await a.query("BEGIN");
        await expect(a.query("SELECT 1 / 0")).rejects.toThrow("division by zero");
        await expect(a.query("SELECT 1")).rejects.toThrow("current transaction is aborted");
        await a.query("ROLLBACK");
        const { rows } = await a.query<{ n: number }>("SELECT 7 AS n");
        expect(rows).toEqual([{ n: 7 }]);
      } finally {
        await a.end();
      }
    },
  );

  it.skipIf(!serverUrl)(
    "makes a client wait for a connection when all are lent, and refuses it after waitMs",
    async () => {
      const holders = [new Client(url), new Client(url), new Client(url)];
      for (const holder of holders) {
        await holder.connect();
        await holder.query("BEGIN");
        await holder.query("SELECT 1");
      }
      const waiting = new Client(url);
      await waiting.connect();
      try {
        const answered = waiting.query<{ n: number }>("SELECT 5 AS n");
        await new Promise((resolve) => setTimeout(resolve, 200));
        await holders[0]?.query("COMMIT");
        expect((await answered).rows).toEqual([{ n: 5 }]);
        await holders[0]?.query("BEGIN");
        await holders[0]?.query("SELECT 1");
        const late = new Client(url);
        await late.connect();
        late.on("error", () => {});
        await expect(late.query("SELECT 6")).rejects.toThrow("no server connection free within 1500 ms");
      } finally {
        for (const holder of holders) {
          await holder.query("COMMIT");
          await holder.end();
        }
        await waiting.end();
      }
      expect(proxy.state.open).toBeLessThanOrEqual(3);
    },
  );

  it.skipIf(!serverUrl)("passes the server's refusal of an unknown database to the client", async () => {
    const missing = new URL(url);
    missing.pathname = "/leadrail_no_such_database";
    const client = new Client(missing.toString());
    client.on("error", () => {});
    await expect(client.connect()).rejects.toThrow('database "leadrail_no_such_database" does not exist');
  });
});

describe("pooling bridge before a server that asks for a password", () => {
  it("hands each client its own server connection and relays the authentication", async () => {
    const passwords: string[] = [];
    const server = net.createServer((socket) => {
      const framer = new MessageFramer(true);
      socket.on("data", (chunk: Buffer) => {
        framer.push(chunk);
        for (let next = framer.next(); next; next = framer.next()) {
          if (framer.untyped) {
            framer.untyped = false;
            // AuthenticationCleartextPassword
            socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
          } else if (next[0] === 0x70) {
            passwords.push(next.subarray(5, next.length - 1).toString());
            socket.end(fatalError("28P01", "checked by the test server"));
          }
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const bridge = await startWsBridge({ host: "127.0.0.1", port }, 0, { pool: {} });
    neonConfig.webSocketConstructor = WebSocket;
    neonConfig.wsProxy = (host, wsPort) => `127.0.0.1:${bridge.port}/v2?address=${host}:${wsPort}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    try {
      for (const password of ["first-secret", "second-secret"]) {
        const client = new Client(`postgres://app:${password}@127.0.0.1:${port}/crm`);
        client.on("error", () => {});
        await expect(client.connect()).rejects.toThrow("checked by the test server");
      }
      expect(passwords).toEqual(["first-secret", "second-secret"]);
    } finally {
      await bridge.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
