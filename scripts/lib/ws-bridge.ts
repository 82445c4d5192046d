import net from "node:net";
import { WebSocketServer } from "ws";

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
}

export async function startWsBridge(
  target: { host: string; port: number },
  listenPort = 0,
  options: BridgeOptions = {},
): Promise<BridgeHandle> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: listenPort, perMessageDeflate: false });
  wss.on("connection", (ws) => {
    const observe = options.observe?.();
    const tcp = net.connect(target.port, target.host);
    tcp.setNoDelay(true);
    const pending: Buffer[] = [];
    let connected = false;
    const sawTerminate = terminateWatcher();
    let terminated = false;
    tcp.on("connect", () => {
      connected = true;
      for (const chunk of pending) tcp.write(chunk);
      pending.length = 0;
    });
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
      if (terminated) return;
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      observe?.(chunk);
      if (connected) tcp.write(chunk);
      else pending.push(chunk);
      if (sawTerminate(chunk)) {
        terminated = true;
        // Written after the pending chunks once connected; `end` flushes before closing.
        if (connected) tcp.end();
        else tcp.once("connect", () => tcp.end());
      }
    });
    tcp.on("data", (chunk) => ws.send(chunk));
    const closeBoth = () => {
      tcp.destroy();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
    };
    tcp.on("error", closeBoth);
    tcp.on("close", closeBoth);
    ws.on("close", closeBoth);
    ws.on("error", closeBoth);
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
        wss.close(() => resolve());
      }),
  };
}

const protocolCodes = { sslRequest: 80877103, gssEncRequest: 80877104 };
const terminate = 0x58; // 'X'

/**
 * Follows the client → server half of the Postgres protocol across arbitrary chunking and
 * answers, per chunk, whether a Terminate message has been sent. Untyped start-up packets
 * (SSLRequest and GSSENCRequest are followed by another one) come first, then typed messages.
 * On anything that does not parse it stops watching (and never reports a Terminate).
 */
export function terminateWatcher(): (chunk: Uint8Array) => boolean {
  let startup = true;
  let gaveUp = false;
  let header: number[] = [];
  let remaining = 0;
  return (chunk) => {
    let offset = 0;
    while (!gaveUp && offset < chunk.length) {
      if (remaining > 0) {
        const skip = Math.min(remaining, chunk.length - offset);
        remaining -= skip;
        offset += skip;
        continue;
      }
      const headerSize = startup ? 8 : 5;
      while (header.length < headerSize && offset < chunk.length) header.push(chunk[offset++] ?? 0);
      if (header.length < headerSize) break;
      const bytes = Buffer.from(header);
      header = [];
      if (startup) {
        const length = bytes.readInt32BE(0);
        const code = bytes.readInt32BE(4);
        if (length < 8) gaveUp = true;
        remaining = length - 8;
        if (code !== protocolCodes.sslRequest && code !== protocolCodes.gssEncRequest) startup = false;
      } else {
        const length = bytes.readInt32BE(1);
        if (bytes[0] === terminate) return true;
        if (length < 4) gaveUp = true;
        remaining = length - 4;
      }
    }
    return false;
  };
}
