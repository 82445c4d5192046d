import net from "node:net";
import { WebSocketServer } from "ws";

/**
 * WebSocket-to-TCP bridge for the Neon serverless driver when the database is
 * a plain Postgres (local server or PGlite). The driver opens
 * `ws://host/v2?address=db-host:port` and then speaks the Postgres wire
 * protocol over binary frames; this forwards those bytes to the TCP socket.
 * Only the configured target is reachable, whatever address the client asks for.
 */
export interface BridgeHandle {
  port: number;
  close(): Promise<void>;
}

export async function startWsBridge(
  target: { host: string; port: number },
  listenPort = 0,
): Promise<BridgeHandle> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: listenPort, perMessageDeflate: false });
  wss.on("connection", (ws) => {
    const tcp = net.connect(target.port, target.host);
    tcp.setNoDelay(true);
    const pending: Buffer[] = [];
    let connected = false;
    tcp.on("connect", () => {
      connected = true;
      for (const chunk of pending) tcp.write(chunk);
      pending.length = 0;
    });
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (connected) tcp.write(chunk);
      else pending.push(chunk);
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
