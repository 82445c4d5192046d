import net from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import { renameStatement, statementNamed } from "./pg-pooler.ts";

/**
 * Serves one PGlite over the Postgres wire protocol to many TCP connections.
 *
 * PGlite is a single backend session, so connections must take turns. Taking turns per
 * protocol message (as pglite-socket's server does) lets one connection's Parse replace
 * another's unnamed statement between its Bind and Execute, and two clients get each
 * other's rows. Here a connection holds the backend from its first message until the
 * backend reports ReadyForQuery with status `I` (idle, no transaction open) and it has
 * nothing more buffered: a whole extended-protocol round or transaction runs as one unit.
 *
 * Named prepared statements belong to a backend, and so here to a connection: each connection's
 * statement names get a prefix of their own, and its statements are deallocated when it closes, as a
 * Postgres backend's are when it exits.
 */
export interface WireServer {
  port: number;
  stop(): Promise<void>;
}

const sslRequestCode = 80877103;
const gssEncRequestCode = 80877104;
const cancelRequestCode = 80877102;

class Turnstile {
  private tail: Promise<void> = Promise.resolve();

  /** Waits for the backend; resolves with the function that hands it to the next connection. */
  acquire(): Promise<() => void> {
    let release: () => void = () => {};
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.tail;
    this.tail = previous.then(() => next);
    return previous.then(() => release);
  }
}

/** Status byte of the last ReadyForQuery ('Z') in a backend response, if it has one. */
export function lastReadyStatus(response: Uint8Array): string | null {
  let status: string | null = null;
  let offset = 0;
  const view = new DataView(response.buffer, response.byteOffset, response.byteLength);
  while (offset + 5 <= response.length) {
    const type = response[offset];
    const length = view.getInt32(offset + 1);
    if (length < 4) break;
    if (type === 0x5a && length === 5 && offset + 5 < response.length) {
      status = String.fromCharCode(response[offset + 5] ?? 0);
    }
    offset += 1 + length;
  }
  return status;
}

export async function serveWire(
  db: PGlite,
  options: { host?: string; port?: number } = {},
): Promise<WireServer> {
  const turnstile = new Turnstile();
  const sockets = new Set<net.Socket>();
  let connections = 0;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    connections += 1;
    const prefix = `c${connections}_`;
    /** This connection's prepared statements, by their name in the backend. */
    const statements = new Set<string>();
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let startupDone = false;
    let release: (() => void) | null = null;
    let idle = true;
    let working = false;
    let closed = false;

    const giveBack = () => {
      if (release) {
        const handOver = release;
        release = null;
        handOver();
      }
    };

    /** The next complete message, or null. Startup-phase messages have no type byte. */
    const nextMessage = (): Buffer | null => {
      if (!startupDone) {
        if (buffered.length < 4) return null;
        const length = buffered.readInt32BE(0);
        if (buffered.length < length) return null;
        const message = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        return message;
      }
      if (buffered.length < 5) return null;
      const length = buffered.readInt32BE(1);
      if (buffered.length < 1 + length) return null;
      const message = buffered.subarray(0, 1 + length);
      buffered = buffered.subarray(1 + length);
      return message;
    };

    const pump = async () => {
      if (working) return;
      working = true;
      try {
        for (let message = nextMessage(); message && !closed; message = nextMessage()) {
          if (!startupDone) {
            const code = message.length >= 8 ? message.readInt32BE(4) : 0;
            if (code === sslRequestCode || code === gssEncRequestCode) {
              socket.write("N");
              continue;
            }
            if (code === cancelRequestCode) {
              socket.end();
              return;
            }
            startupDone = true;
          } else if (message[0] === 0x58) {
            // Terminate: the session ends; Postgres closes the connection, so do we.
            socket.end();
            return;
          }
          const own = startupDone ? ownStatement(message) : message;
          if (!release) release = await turnstile.acquire();
          const response = await db.execProtocolRaw(new Uint8Array(own));
          if (response.length > 0 && !closed) socket.write(response);
          const status = lastReadyStatus(response);
          if (status !== null) idle = status === "I";
          // Mid-round (Parse sent, Sync still to come) or inside a transaction: keep the backend.
          if (status !== null && idle && buffered.length === 0) giveBack();
        }
      } catch (error) {
        console.error(JSON.stringify({ event: "pglite.wire_error", error: String(error) }));
        socket.destroy();
      } finally {
        working = false;
      }
    };

    /** The message with its statement name in this connection's namespace. */
    const ownStatement = (message: Buffer): Buffer => {
      const named = statementNamed(message);
      if (named === null || named.name === "") return message;
      const name = prefix + named.name;
      if (message[0] === 0x50) statements.add(name);
      else if (message[0] === 0x43) statements.delete(name);
      return renameStatement(message, named, name);
    };

    socket.on("data", (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      void pump();
    });
    const finish = async () => {
      if (closed) return;
      closed = true;
      sockets.delete(socket);
      // A client that vanished inside a transaction must not leave it open for the next one.
      if (release && !idle) {
        try {
          await db.exec("ROLLBACK");
        } catch {
          // no transaction was open after all
        }
      }
      if (statements.size > 0) {
        if (!release) release = await turnstile.acquire();
        for (const name of statements) {
          try {
            await db.exec(`DEALLOCATE "${name.replaceAll('"', '""')}"`);
          } catch {
            // its Parse failed: there is nothing to deallocate
          }
        }
      }
      giveBack();
    };
    socket.on("close", () => void finish());
    socket.on("error", () => void finish());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
