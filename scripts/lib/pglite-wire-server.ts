import net from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import {
  encryptionRefused,
  lastReadyStatus,
  MessageFramer,
  renameStatement,
  startupKind,
  statementNamed,
} from "./pg-wire.ts";

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
    // Start-up packets (no type byte) until the StartupMessage, typed messages after it.
    const framer = new MessageFramer(true);
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

    const pump = async () => {
      if (working) return;
      working = true;
      try {
        for (let message = framer.next(); message && !closed; message = framer.next()) {
          const startup = framer.untyped;
          if (startup) {
            const kind = startupKind(message);
            if (kind === "encryption") {
              socket.write(encryptionRefused);
              continue;
            }
            if (kind === "cancel") {
              socket.end();
              return;
            }
            framer.untyped = false;
          } else if (message[0] === 0x58) {
            // Terminate: the session ends; Postgres closes the connection, so do we.
            socket.end();
            return;
          }
          const own = startup ? message : ownStatement(message);
          if (!release) release = await turnstile.acquire();
          const response = await db.execProtocolRaw(new Uint8Array(own));
          if (response.length > 0 && !closed) socket.write(response);
          const status = lastReadyStatus(response);
          if (status !== null) idle = status === "I";
          // Mid-round (Parse sent, Sync still to come) or inside a transaction: keep the backend.
          if (status !== null && idle && framer.pending === 0) giveBack();
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
      framer.push(chunk);
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
