import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the sink received it: what a partner's or buyer's server would see. */
export interface SeenRequest {
  method: string;
  /** Path and query as sent on the request line. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface RelaySink {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

/** How long `/slow` waits before answering: longer than any timeout a test gives the consumer. */
export const slowAnswerMs = 3000;
/** `/fail` answers this many bytes: more than the stored cap. */
export const failBodyBytes = 5000;

/**
 * An HTTP server on loopback standing in for partners and lead buyers, for tests that need a real
 * server (workerd fetches it as it would a network's). Paths are `/sink/<key>/<behaviour>…`:
 * `ok` (200 "ok"), `fail` (500 with a 5000-byte body), `slow` (200 after 3 s), `drop` (the socket
 * is destroyed before any answer), `status/<n>` (answers n). Every request is recorded under its
 * key; `GET /__seen/<key>` returns them (and `DELETE` forgets them). Each test uses its own key.
 */
export async function startRelaySink(): Promise<RelaySink> {
  const seen = new Map<string, SeenRequest[]>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => answer(request, response, Buffer.concat(chunks).toString("utf8"), seen));
  });
  // Keep-alive connections from workerd must not hold the test run open.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(
  request: IncomingMessage,
  response: ServerResponse,
  body: string,
  seen: Map<string, SeenRequest[]>,
): void {
  const url = request.url ?? "/";
  const [, root = "", key = "", behaviour = "", extra = ""] = url.split("?")[0]?.split("/") ?? [];
  if (root === "__seen") {
    if (request.method === "DELETE") seen.delete(key);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(seen.get(key) ?? []));
    return;
  }
  if (root !== "sink" || !key) {
    response.writeHead(404).end();
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(", ");
  }
  const list = seen.get(key) ?? [];
  list.push({ method: request.method ?? "", url, headers, body });
  seen.set(key, list);
  switch (behaviour) {
    case "fail":
      response.writeHead(500, { "content-type": "text/plain" });
      response.end("e".repeat(failBodyBytes));
      return;
    case "slow": {
      const timer = setTimeout(() => response.writeHead(200).end("late"), slowAnswerMs);
      response.on("close", () => clearTimeout(timer));
      return;
    }
    case "drop":
      request.socket.destroy();
      return;
    case "status":
      response.writeHead(Number(extra) || 500).end(`status ${extra}`);
      return;
    default:
      response.writeHead(200, { "content-type": "text/plain" });
      response.end("ok");
  }
}
