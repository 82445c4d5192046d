import { createServer } from "node:net";
import { neonConfig, Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type RunningDatabase, startEmbeddedPostgres } from "../../scripts/lib/database.ts";
import { message } from "../../scripts/lib/pg-wire.ts";
import { type BridgeHandle, startWsBridge, terminateWatcher } from "../../scripts/lib/ws-bridge.ts";

const startup = (length: number, code: number): Buffer => {
  const bytes = Buffer.alloc(length);
  bytes.writeInt32BE(length, 0);
  bytes.writeInt32BE(code, 4);
  return bytes;
};
const query = (sql: string) => message("Q", Buffer.from(`${sql}\0`));
const terminate = () => message("X");

describe("terminateWatcher", () => {
  it("sees Terminate after the start-up packet and other messages", () => {
    const watch = terminateWatcher();
    expect(watch(startup(40, 196608))).toBe(false);
    expect(watch(query("SELECT 1"))).toBe(false);
    expect(watch(terminate())).toBe(true);
  });

  it("follows messages split across chunks at every byte", () => {
    const stream = Buffer.concat([
      startup(23, 196608),
      query("SELECT 'X'"),
      message("p", Buffer.from("XXXX")),
      terminate(),
    ]);
    const watch = terminateWatcher();
    const seen: number[] = [];
    for (let i = 0; i < stream.length; i++) if (watch(stream.subarray(i, i + 1))) seen.push(i);
    expect(seen).toEqual([stream.length - 1]);
  });

  it("treats SSLRequest as followed by another start-up packet", () => {
    const watch = terminateWatcher();
    // An 'X' in the second start-up packet's first byte must not count as Terminate.
    const second = startup(16, 196608);
    expect(watch(Buffer.concat([startup(8, 80877103), second]))).toBe(false);
    expect(watch(terminate())).toBe(true);
  });

  it("does not mistake an 'X' inside a message body for Terminate", () => {
    const watch = terminateWatcher();
    watch(startup(8, 196608));
    expect(watch(query("XXXXXXXXXXXX"))).toBe(false);
    expect(watch(message("d", Buffer.from([0x58, 0, 0, 0, 4])))).toBe(false);
  });
});

describe("bridge to PGlite", () => {
  let database: RunningDatabase;
  let bridge: BridgeHandle;

  beforeAll(async () => {
    database = await startEmbeddedPostgres();
    bridge = await startWsBridge({ host: database.host, port: database.port });
    neonConfig.webSocketConstructor = WebSocket;
    neonConfig.wsProxy = (host, port) => `127.0.0.1:${bridge.port}/v2?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    neonConfig.pipelineTLS = false;
  }, 60_000);

  afterAll(async () => {
    await bridge?.close();
    await database?.stop();
  });

  it("ends the TCP connection after the client's Terminate, even when the server would not", async () => {
    // A server that never closes a connection by itself (it only answers the client's FIN with its own).
    const received: Buffer[] = [];
    let ended!: () => void;
    const serverSawEnd = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const server = createServer((socket) => {
      socket.on("data", (chunk: Buffer) => received.push(chunk));
      socket.on("end", () => ended());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const silentBridge = await startWsBridge({ host: "127.0.0.1", port });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${silentBridge.port}/v2?address=db:5432`);
      const closed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      ws.send(startup(8, 196608));
      ws.send(query("SELECT 1"));
      ws.send(terminate());
      await serverSawEnd;
      await closed;
      expect(Buffer.concat(received)).toEqual(
        Buffer.concat([startup(8, 196608), query("SELECT 1"), terminate()]),
      );
    } finally {
      await silentBridge.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("closes each connection when its pool ends", async () => {
    // 80 pools one after the other: none may leave its connection behind.
    for (let i = 0; i < 80; i++) {
      const pool = new Pool({ connectionString: database.url, max: 1 });
      const { rows } = await pool.query<{ n: number }>("SELECT $1::int AS n", [i]);
      expect(rows).toEqual([{ n: i }]);
      await pool.end();
    }
  }, 60_000);
});
