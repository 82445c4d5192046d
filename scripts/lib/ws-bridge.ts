import net from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { type Handshake, Pooler, type PoolerOptions } from "./pg-pooler.ts";
import { encryptionRefused, fatalError, MessageFramer, startupKind, terminateMessage } from "./pg-wire.ts";

/**
 * WebSocket-to-TCP bridge for the Neon serverless driver when the database is
 * a plain Postgres (local server or PGlite). The driver opens
 * `ws://host/v2?address=db-host:port` and then speaks the Postgres wire
 * protocol over binary frames; this forwards those bytes to the TCP socket.
 * Only the configured target is reachable, whatever address the client asks for.
 *
 * A real Postgres closes the connection when the client sends Terminate, and the Neon driver waits
 * for the server to do so. Not every server does (PGlite's stock socket server did not), so the
 * bridge follows the client's messages and ends the connection itself after a Terminate; otherwise
 * every closed pool would leave a connection open until the server ran out of them.
 */
export interface BridgeHandle {
  port: number;
  close(): Promise<void>;
}

export interface BridgeOptions {
  /** Called per client connection; the function it returns sees every client → server chunk (benchmarks count round trips). */
  observe?: () => (chunk: Buffer) => void;
  /**
   * Lend warm server connections per transaction instead of opening one per client (scripts/lib/pg-pooler.ts),
   * as Neon's pooled endpoint does. Off by default: each client then gets its own server connection.
   */
  pool?: PoolerOptions;
}

export async function startWsBridge(
  target: { host: string; port: number },
  listenPort = 0,
  options: BridgeOptions = {},
): Promise<BridgeHandle> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: listenPort, perMessageDeflate: false });
  const pooler = options.pool ? new Pooler(target, options.pool) : null;
  wss.on("connection", (ws) => {
    const observe = options.observe?.();
    if (pooler) pooled(ws, pooler, observe);
    else passthrough(ws, net.connect(target.port, target.host), observe);
  });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", () => resolve());
    wss.once("error", reject);
  });
  const address = wss.address();
  const port = typeof address === "object" && address ? address.port : listenPort;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        pooler?.close();
        wss.close(() => resolve());
      }),
  };
}

type Frame = Buffer | ArrayBuffer | Buffer[];
const asBuffer = (data: Frame): Buffer =>
  Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);

/**
 * One client, one server connection: bytes go through unchanged. `sent` is what the client already
 * sent that this socket has seen (its start-up), `received` what the server already answered.
 */
function passthrough(
  ws: WebSocket,
  tcp: net.Socket,
  observe: ((chunk: Buffer) => void) | undefined,
  handedOver: { sent: Buffer; received: Buffer; queued: Buffer[] } | null = null,
): void {
  tcp.setNoDelay(true);
  const pending: Buffer[] = [];
  let connected = handedOver !== null;
  const sawTerminate = terminateWatcher();
  let terminated = false;
  if (handedOver) {
    sawTerminate(handedOver.sent);
    if (handedOver.received.length > 0) ws.send(handedOver.received);
  }
  tcp.on("connect", () => {
    connected = true;
    for (const chunk of pending) tcp.write(chunk);
    pending.length = 0;
  });
  const forward = (chunk: Buffer) => {
    if (terminated) return;
    if (connected) tcp.write(chunk);
    else pending.push(chunk);
    if (sawTerminate(chunk)) {
      terminated = true;
      // Written after the pending chunks once connected; `end` flushes before closing.
      if (connected) tcp.end();
      else tcp.once("connect", () => tcp.end());
    }
  };
  ws.on("message", (data: Frame) => {
    const chunk = asBuffer(data);
    observe?.(chunk);
    forward(chunk);
  });
  for (const chunk of handedOver?.queued ?? []) forward(chunk);
  tcp.on("data", (chunk) => ws.send(chunk));
  const closeBoth = () => {
    tcp.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  };
  tcp.on("error", closeBoth);
  tcp.on("close", closeBoth);
  ws.on("close", closeBoth);
  ws.on("error", closeBoth);
}

/** One client over the pooler: its start-up is answered here, its transactions run on borrowed connections. */
function pooled(ws: WebSocket, pooler: Pooler, observe: ((chunk: Buffer) => void) | undefined): void {
  const framer = new MessageFramer(true);
  /** Client bytes that arrived while the start-up was being answered. */
  const early: Buffer[] = [];
  let deliver: ((bytes: Buffer) => void) | null = null;
  let state: "startup" | "handshake" | "session" | "handed-over" | "closed" = "startup";
  const close = () => {
    state = "closed";
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
  };
  const link = { send: (chunk: Buffer) => ws.readyState === ws.OPEN && ws.send(chunk), close };

  const drain = () => {
    try {
      for (let next = framer.next(); next; next = framer.next()) {
        if (state === "session") {
          deliver?.(next);
          continue;
        }
        const kind = startupKind(next);
        if (kind === "encryption") {
          link.send(encryptionRefused);
          continue;
        }
        if (kind === "cancel") return close();
        state = "handshake";
        return void answer(next);
      }
    } catch {
      close();
    }
  };

  const answer = async (startup: Buffer) => {
    let handshake: Handshake;
    try {
      handshake = await pooler.handshake(startup);
    } catch (error) {
      link.send(fatalError("08006", `leadrail bridge: ${(error as Error).message}`));
      return close();
    }
    if (state === "closed") {
      if (handshake.mode === "direct") handshake.socket.destroy();
      return;
    }
    if (handshake.mode === "refused") {
      link.send(handshake.reply);
      return close();
    }
    if (handshake.mode === "direct") {
      state = "handed-over";
      ws.off("message", onMessage);
      const queued = [framer.take(), ...early.splice(0)].filter((chunk) => chunk.length > 0);
      passthrough(ws, handshake.socket, observe, { sent: startup, received: handshake.received, queued });
      return;
    }
    link.send(handshake.greeting);
    deliver = handshake.session(link);
    framer.untyped = false;
    state = "session";
    for (const chunk of early.splice(0)) framer.push(chunk);
    drain();
  };

  const onMessage = (data: Frame) => {
    const chunk = asBuffer(data);
    observe?.(chunk);
    if (state === "closed") return;
    if (state === "handshake") {
      early.push(chunk);
      return;
    }
    framer.push(chunk);
    drain();
  };
  ws.on("message", onMessage);
  const ended = () => {
    if (state === "session") deliver?.(terminateMessage);
    state = "closed";
  };
  ws.on("close", ended);
  ws.on("error", ended);
}

const terminate = 0x58; // 'X'

/**
 * Follows the client → server half of the Postgres protocol across arbitrary chunking and
 * answers, per chunk, whether a Terminate message has been sent. Untyped start-up packets
 * (SSLRequest and GSSENCRequest are followed by another one) come first, then typed messages.
 * On anything that does not parse it stops watching (and never reports a Terminate).
 */
export function terminateWatcher(): (chunk: Uint8Array) => boolean {
  const framer = new MessageFramer(true);
  let gaveUp = false;
  return (chunk) => {
    if (gaveUp) return false;
    framer.push(chunk);
    try {
      for (let next = framer.next(); next; next = framer.next()) {
        if (!framer.untyped) {
          if (next[0] === terminate) return true;
        } else if (next.length < 8) {
          gaveUp = true;
          return false;
        } else if (startupKind(next) !== "encryption") framer.untyped = false;
      }
    } catch {
      gaveUp = true;
    }
    return false;
  };
}
