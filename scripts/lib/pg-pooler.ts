import { randomInt } from "node:crypto";
import net from "node:net";

/**
 * Transaction pooling for the WebSocket bridge, the local stand-in for Neon's pooled endpoint
 * (PgBouncer in transaction mode). The Neon driver opens a connection for every request or queue
 * batch; against a plain Postgres each of those forks a backend, which then builds its catalog
 * caches from scratch for every table a statement touches. On a 2-core machine that start-up costs
 * more CPU than an order's own statements.
 *
 * The pooler answers a client's start-up itself and lends it a warm server connection for each
 * transaction: from the client's first message until the server reports ReadyForQuery with status
 * `I` (idle, no transaction open) with no extended-protocol message waiting for its Sync. Session
 * state therefore does not outlive a transaction (SET without LOCAL, session advisory locks,
 * LISTEN, SQL-level PREPARE), exactly as on Neon's pooled endpoint; leadrail uses none of them.
 *
 * Only servers that accept the start-up without a password are pooled (the bridge never holds a
 * credential): when the server asks for authentication, the client gets that server connection for
 * itself and every later client of the same user and database does too (`direct`).
 */
export interface PoolerOptions {
  /** Server connections per user and database (default 16). */
  max?: number;
  /** An idle server connection is closed after this long (default 30 s). */
  idleMs?: number;
  /** How long a transaction may wait for a server connection before it is refused (default 10 s). */
  waitMs?: number;
}

/** What a client session can do with the connection its start-up asked for. */
export type Handshake =
  | { mode: "pooled"; greeting: Buffer; session(link: ClientLink): (bytes: Buffer) => void }
  | { mode: "direct"; socket: net.Socket; received: Buffer }
  | { mode: "refused"; reply: Buffer };

export interface ClientLink {
  send(chunk: Buffer): void;
  close(): void;
}

const protocol3 = 196608;
/** Start-up packets that are not a StartupMessage: SSLRequest, GSSENCRequest, CancelRequest. */
export const startupCodes = { ssl: 80877103, gssEnc: 80877104, cancel: 80877102 };
const terminate = 0x58;
/** Messages of the extended protocol that a Sync must follow before the server answers ReadyForQuery. */
const extended = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]); // P B D E C H
/** Messages the server answers with ReadyForQuery: Sync, simple Query, FunctionCall. */
const answeredWithReady = new Set([0x53, 0x51, 0x46]); // S Q F

function message(type: string, body: Buffer): Buffer {
  const bytes = Buffer.alloc(5 + body.length);
  bytes.write(type, 0, "latin1");
  bytes.writeInt32BE(4 + body.length, 1);
  body.copy(bytes, 5);
  return bytes;
}

/** An ErrorResponse with severity FATAL, the given SQLSTATE and text. */
export function fatalError(code: string, text: string): Buffer {
  const field = (tag: string, value: string) => Buffer.from(`${tag}${value}\0`, "utf8");
  return message(
    "E",
    Buffer.concat([
      field("S", "FATAL"),
      field("V", "FATAL"),
      field("C", code),
      field("M", text),
      Buffer.from([0]),
    ]),
  );
}

/**
 * Splits a byte stream into Postgres protocol messages across any chunking. `untyped` reads
 * start-up packets (length first, no type byte) until the caller switches it off.
 */
export class MessageFramer {
  private buffer: Buffer = Buffer.alloc(0);
  constructor(public untyped = false) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** The next whole message, or null until more bytes arrive. Throws on a malformed length. */
  next(): Buffer | null {
    const header = this.untyped ? 4 : 5;
    if (this.buffer.length < header) return null;
    const length = this.buffer.readInt32BE(this.untyped ? 0 : 1);
    if (length < 4 || length > 1 << 30) throw new Error("malformed Postgres message length");
    const total = this.untyped ? length : length + 1;
    if (this.buffer.length < total) return null;
    const whole = this.buffer.subarray(0, total);
    this.buffer = this.buffer.subarray(total);
    return whole;
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Whatever is buffered beyond the last whole message, handed over to someone else. */
  take(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }
}

/** The parameters of a StartupMessage (user, database, options…), in order. */
export function startupParameters(packet: Buffer): Map<string, string> {
  const parameters = new Map<string, string>();
  const fields = packet.subarray(8).toString("utf8").split("\0");
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const key = fields[i];
    if (!key) break;
    parameters.set(key, fields[i + 1] ?? "");
  }
  return parameters;
}

/** Server connections are shared by clients whose start-up asks for the same session. */
function poolKey(parameters: Map<string, string>): string {
  const user = parameters.get("user") ?? "";
  const rest = [...parameters]
    .filter(([key]) => key !== "user" && key !== "database" && key !== "application_name")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([user, parameters.get("database") || user, rest]);
}

/** One warm server connection; `owner` is the client session holding it for a transaction. */
class ServerConnection {
  owner: PooledSession | null = null;
  idleSince = Date.now();
  private readonly framer = new MessageFramer();
  private alive = true;

  constructor(
    readonly socket: net.Socket,
    private readonly pool: KeyPool,
  ) {
    socket.on("data", (chunk: Buffer) => this.fromServer(chunk));
    const gone = () => this.gone();
    socket.on("close", gone);
    socket.on("error", gone);
  }

  get usable(): boolean {
    return this.alive;
  }

  private fromServer(chunk: Buffer): void {
    const owner = this.owner;
    // A notice arriving while nobody holds the connection has nobody to go to.
    if (!owner) return;
    owner.link.send(chunk);
    this.framer.push(chunk);
    try {
      for (let next = this.framer.next(); next; next = this.framer.next()) {
        if (next[0] === 0x5a) owner.ready(String.fromCharCode(next[5] ?? 0));
      }
    } catch {
      this.destroy();
    }
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    if (!this.alive) return;
    this.socket.destroy();
    this.gone();
  }

  /** Ends the session politely (Terminate) so the server logs no broken connection. */
  end(): void {
    if (!this.alive) return;
    this.alive = false;
    this.socket.end(message("X", Buffer.alloc(0)));
    this.pool.forget(this);
  }

  private gone(): void {
    const owner = this.owner;
    this.alive = false;
    this.owner = null;
    this.pool.forget(this);
    owner?.serverLost();
  }
}

interface Waiter {
  grant(connection: ServerConnection): void;
  fail(error: Error): void;
}

/** The server connections of one user and database. */
class KeyPool {
  /** Null until the first start-up succeeded; then what every client is greeted with. */
  greeting: Buffer | null = null;
  direct = false;
  private readonly idle: ServerConnection[] = [];
  private readonly all = new Set<ServerConnection>();
  private opening = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly target: { host: string; port: number },
    private readonly startup: Buffer,
    private readonly options: Required<PoolerOptions>,
  ) {}

  /**
   * Opens a server connection and completes its start-up. Resolves with the connection and the
   * ParameterStatus messages it sent, or with what a client must see instead (authentication asked
   * for, or an error such as an unknown database).
   */
  open(): Promise<
    | { ok: true; connection: ServerConnection; statuses: Buffer }
    | { ok: false; socket: net.Socket; received: Buffer; auth: boolean }
  > {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.target.port, this.target.host);
      socket.setNoDelay(true);
      const framer = new MessageFramer();
      const received: Buffer[] = [];
      const statuses: Buffer[] = [];
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        received.push(chunk);
        framer.push(chunk);
        try {
          for (let next = framer.next(); next; next = framer.next()) {
            const type = next[0];
            if (type === 0x52 && next.readInt32BE(5) !== 0) return settle({ auth: true });
            if (type === 0x45) return settle({ auth: false });
            if (type === 0x53) statuses.push(next);
            if (type === 0x5a) {
              if (framer.pending > 0) return fail(new Error("server sent data after its start-up"));
              detach();
              const connection = new ServerConnection(socket, this);
              this.all.add(connection);
              resolve({ ok: true, connection, statuses: Buffer.concat(statuses) });
              return;
            }
          }
        } catch (error) {
          fail(error as Error);
        }
      };
      const settle = ({ auth }: { auth: boolean }) => {
        detach();
        resolve({ ok: false, socket, received: Buffer.concat(received), auth });
      };
      const onError = (error: Error) => fail(error);
      const onClose = () => fail(new Error("the server closed the connection during start-up"));
      const detach = () => {
        socket.off("data", onData);
        socket.off("error", onError);
        socket.off("close", onClose);
      };
      socket.on("data", onData);
      socket.on("error", onError);
      socket.on("close", onClose);
      socket.write(this.startup);
    });
  }

  /** A server connection for one transaction: an idle one, a new one, or the next one given back. */
  acquire(): Promise<ServerConnection> {
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      if (connection.usable) return Promise.resolve(connection);
    }
    if (this.all.size + this.opening < this.options.max) {
      this.opening += 1;
      return this.open()
        .then((opened) => {
          if (opened.ok) return opened.connection;
          opened.socket.destroy();
          throw new Error("the server refused a pooled connection");
        })
        .finally(() => {
          this.opening -= 1;
        });
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (connection) => {
          clearTimeout(timer);
          resolve(connection);
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new Error(`no server connection free within ${this.options.waitMs} ms`));
      }, this.options.waitMs);
      this.waiters.push(waiter);
    });
  }

  /** Takes back a connection that is idle outside any transaction. */
  release(connection: ServerConnection): void {
    connection.owner = null;
    if (!connection.usable) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.grant(connection);
      return;
    }
    connection.idleSince = Date.now();
    this.idle.push(connection);
  }

  forget(connection: ServerConnection): void {
    this.all.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
    // A waiter may now open the connection this one leaves room for.
    const waiter = this.waiters.shift();
    if (waiter) this.acquire().then(waiter.grant, waiter.fail);
  }

  sweep(now: number): void {
    for (const connection of [...this.idle]) {
      if (now - connection.idleSince >= this.options.idleMs) connection.end();
    }
  }

  close(): void {
    for (const waiter of this.waiters.splice(0)) waiter.fail(new Error("the bridge is closing"));
    for (const connection of [...this.all]) {
      if (connection.owner) connection.destroy();
      else connection.end();
    }
  }
}

/** One client's session: transactions run on borrowed server connections. */
class PooledSession {
  private server: ServerConnection | null = null;
  private acquiring = false;
  /** Messages waiting for a server connection. */
  private readonly queue: Buffer[] = [];
  /** Sync / Query / FunctionCall sent whose ReadyForQuery has not come back. */
  private outstanding = 0;
  /** Extended-protocol messages sent since the last Sync. */
  private unsynced = false;
  private status = "I";
  private closed = false;

  constructor(
    readonly link: ClientLink,
    private readonly pool: KeyPool,
  ) {}

  fromClient(bytes: Buffer): void {
    if (this.closed) return;
    if (bytes[0] === terminate) {
      this.close();
      return;
    }
    this.queue.push(bytes);
    this.flush();
  }

  private flush(): void {
    if (this.queue.length === 0 || this.closed) return;
    if (!this.server) {
      if (this.acquiring) return;
      this.acquiring = true;
      this.pool.acquire().then(
        (connection) => {
          this.acquiring = false;
          if (this.closed) return this.pool.release(connection);
          connection.owner = this;
          this.server = connection;
          this.flush();
        },
        (error: Error) => {
          this.acquiring = false;
          this.link.send(fatalError("53300", `leadrail bridge: ${error.message}`));
          this.close();
        },
      );
      return;
    }
    const batch = this.queue.splice(0);
    for (const bytes of batch) {
      const type = bytes[0] ?? 0;
      if (answeredWithReady.has(type)) {
        this.outstanding += 1;
        this.unsynced = false;
      } else if (extended.has(type)) this.unsynced = true;
    }
    this.server.write(batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch));
  }

  /** The server answered ReadyForQuery with this transaction status. */
  ready(status: string): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
    this.status = status;
    if (this.outstanding === 0 && status === "I" && !this.unsynced && this.queue.length === 0) {
      const server = this.server;
      this.server = null;
      if (server) this.pool.release(server);
    }
  }

  serverLost(): void {
    this.server = null;
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const server = this.server;
    this.server = null;
    if (server) {
      // Mid-transaction or mid-round: the server's state is unknown, so nobody else may have it.
      if (this.outstanding > 0 || this.unsynced || this.status !== "I") server.destroy();
      else this.pool.release(server);
    }
    this.link.close();
  }
}

/** Answers start-ups and lends server connections to client sessions, per user and database. */
export class Pooler {
  private readonly pools = new Map<string, KeyPool>();
  private readonly options: Required<PoolerOptions>;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly target: { host: string; port: number },
    options: PoolerOptions = {},
  ) {
    this.options = {
      max: options.max ?? 16,
      idleMs: options.idleMs ?? 30_000,
      waitMs: options.waitMs ?? 10_000,
    };
    this.sweeper = setInterval(
      () => {
        const now = Date.now();
        for (const pool of this.pools.values()) pool.sweep(now);
      },
      Math.max(250, Math.min(this.options.idleMs, 5_000)),
    );
    this.sweeper.unref();
  }

  /**
   * The answer to a client's StartupMessage: a greeting from the pool, the server connection itself
   * when the server wants a password, or the server's refusal.
   */
  async handshake(startup: Buffer): Promise<Handshake> {
    if (startup.length < 8 || startup.readInt32BE(4) !== protocol3) {
      return { mode: "refused", reply: fatalError("0A000", "unsupported frontend protocol") };
    }
    const key = poolKey(startupParameters(startup));
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new KeyPool(this.target, startup, this.options);
      this.pools.set(key, pool);
    }
    if (pool.direct) return this.direct(startup);
    if (pool.greeting) return pooled(pool, pool.greeting);
    const opened = await pool.open();
    if (!opened.ok) {
      if (opened.auth) {
        pool.direct = true;
        return { mode: "direct", socket: opened.socket, received: opened.received };
      }
      opened.socket.destroy();
      this.pools.delete(key);
      return { mode: "refused", reply: opened.received };
    }
    pool.greeting ??= greeting(opened.statuses);
    pool.release(opened.connection);
    return pooled(pool, pool.greeting);
  }

  private direct(startup: Buffer): Promise<Handshake> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.target.port, this.target.host);
      socket.setNoDelay(true);
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        socket.write(startup);
        resolve({ mode: "direct", socket, received: Buffer.alloc(0) });
      });
    });
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }
}

/** A greeted client: its messages go to a session over the pool it was greeted from. */
function pooled(pool: KeyPool, greeting: Buffer): Handshake {
  return {
    mode: "pooled",
    greeting,
    session: (link) => {
      const session = new PooledSession(link, pool);
      return (bytes) => session.fromClient(bytes);
    },
  };
}

/** AuthenticationOk, the server's ParameterStatus messages, a BackendKeyData, ReadyForQuery idle. */
function greeting(statuses: Buffer): Buffer {
  const ok = Buffer.alloc(4);
  const key = Buffer.alloc(8);
  // No cancel requests go through the pool: the key only has to look like one.
  key.writeInt32BE(randomInt(1, 2 ** 31 - 1), 0);
  key.writeInt32BE(randomInt(1, 2 ** 31 - 1), 4);
  return Buffer.concat([message("R", ok), statuses, message("K", key), message("Z", Buffer.from("I"))]);
}
