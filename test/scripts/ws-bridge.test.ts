import { neonConfig, Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type RunningDatabase, startEmbeddedPostgres } from "../../scripts/lib/database.ts";
import { type BridgeHandle, startWsBridge, terminateWatcher } from "../../scripts/lib/ws-bridge.ts";

const startup = (length: number, code: number): Buffer => {
  const bytes = Buffer.alloc(length);
  bytes.writeInt32BE(length, 0);
  bytes.writeInt32BE(code, 4);
  return bytes;
};
const message = (type: string, body: Buffer = Buffer.alloc(0)): Buffer => {
  const bytes = Buffer.alloc(5 + body.length);
  bytes.write(type, 0, "latin1");
  bytes.writeInt32BE(4 + body.length, 1);
  body.copy(bytes, 5);
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

  it("closes each connection when its pool ends, so PGlite's connection limit is never reached", async () => {
    // PGlite serves 64 connections at most; 80 pools one after the other must all work.
    for (let i = 0; i < 80; i++) {
      const pool = new Pool({ connectionString: database.url, max: 1 });
      const { rows } = await pool.query<{ n: number }>("SELECT $1::int AS n", [i]);
      expect(rows).toEqual([{ n: i }]);
      await pool.end();
    }
  }, 60_000);
});
