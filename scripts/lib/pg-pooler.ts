import { createHash, randomInt } from "node:crypto";
import net from "node:net";
import {
  authenticationOk,
  backendKeyData,
  cstring,
  fatalError,
  MessageFramer,
  message,
  protocolVersion3,
  readyForQuery,
  renameStatement,
  startupParameters,
  statementNamed,
  terminateMessage,
} from "./pg-wire.ts";

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
 * Named prepared statements of the extended protocol survive the pooling, as with PgBouncer's
 * `max_prepared_statements` (which Neon's pooler enables): a statement a client parses is prepared on
 * each server connection under a name derived from its text, once per server connection, and the
 * client's later Parse, Bind, Describe and Close of it are translated (see {@link PooledSession}).
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
  /**
   * Prepared statements a server connection may hold (default 200); one holding more is closed when
   * its transaction ends instead of going back to the pool.
   */
  maxPrepared?: number;
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

const terminate = 0x58;
/** Messages of the extended protocol that a Sync must follow before the server answers ReadyForQuery. */
const extended = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]); // P B D E C H
/** Messages the server answers with ReadyForQuery: Sync, simple Query, FunctionCall. */
const answeredWithReady = new Set([0x53, 0x51, 0x46]); // S Q F

/** Server connections are shared by clients whose start-up asks for the same session. */
function poolKey(parameters: Map<string, string>): string {
  const user = parameters.get("user") ?? "";
  const rest = [...parameters]
    .filter(([key]) => key !== "user" && key !== "database" && key !== "application_name")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([user, parameters.get("database") || user, rest]);
}

/** A Parse sent to a server connection whose ParseComplete has not come back yet. */
interface PendingParse {
  /** Injected by the pooler: its ParseComplete is not the client's to see. */
  swallow: boolean;
  /** The server-side statement it creates, forgotten again if the Parse fails. */
  name: string | null;
  /** The Sync / Query / FunctionCall round it belongs to (see {@link ServerConnection.rounds}). */
  round: number;
}

/** One warm server connection; `owner` is the client session holding it for a transaction. */
class ServerConnection {
  owner: PooledSession | null = null;
  idleSince = Date.now();
  /** Server-side names of the statements prepared on this connection (or being prepared). */
  readonly prepared = new Set<string>();
  /**
   * Rounds are counted on both sides: one is sent with each Sync, Query or FunctionCall and ends
   * with its ReadyForQuery. A Parse that has not been answered when its round ends was skipped
   * after an error.
   */
  readonly rounds = { sent: 0, done: 0 };
  private readonly parses: PendingParse[] = [];
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

  /** Records a Parse about to be written, so that its answer can be told apart. */
  parsing(name: string | null, swallow: boolean): void {
    if (name !== null) this.prepared.add(name);
    this.parses.push({ swallow, name, round: this.rounds.sent });
  }

  private fromServer(chunk: Buffer): void {
    this.framer.push(chunk);
    let out: Buffer[] = [];
    try {
      for (let next = this.framer.next(); next; next = this.framer.next()) {
        const type = next[0];
        if (type === 0x31) {
          // ParseComplete: answers the oldest Parse still waiting.
          if (this.parses.shift()?.swallow) continue;
        } else if (type === 0x5a) {
          this.roundDone();
          // Whatever came before this ReadyForQuery is the owner's, even if it gives the connection back.
          out.push(next);
          this.owner?.link.send(concat(out));
          out = [];
          this.owner?.ready(String.fromCharCode(next[5] ?? 0));
          continue;
        }
        out.push(next);
      }
    } catch {
      this.destroy();
      return;
    }
    // A notice arriving while nobody holds the connection has nobody to go to.
    if (out.length > 0) this.owner?.link.send(concat(out));
  }

  private roundDone(): void {
    this.rounds.done += 1;
    while (this.parses.length > 0 && (this.parses[0] as PendingParse).round < this.rounds.done) {
      const skipped = this.parses.shift() as PendingParse;
      if (skipped.name !== null) this.prepared.delete(skipped.name);
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
    this.socket.end(terminateMessage);
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

function concat(buffers: Buffer[]): Buffer {
  return buffers.length === 1 ? (buffers[0] as Buffer) : Buffer.concat(buffers);
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
    if (connection.prepared.size > this.options.maxPrepared) {
      connection.end();
      return;
    }
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

/** A statement a client has prepared: where it lives on the server, and how to prepare it there. */
interface ClientStatement {
  serverName: string;
  /** A Parse creating `serverName`, for a server connection that does not hold it yet. */
  parse: Buffer;
}

/**
 * One client's session: transactions run on borrowed server connections.
 *
 * A named statement the client parses becomes `lr_<hash of its text and parameter types>` on the
 * server, so equal statements of different clients share one server-side statement. Its Parse is
 * sent on to a server connection that does not hold it yet, and otherwise replaced by a Parse of the
 * empty unnamed statement, which the server answers in place with the ParseComplete the client waits
 * for (this resets the client's unnamed statement, which no driver relies on across a named Parse:
 * each unnamed query is its own Parse, Bind, Execute). A Bind or Describe of the statement on a connection that does not hold it is preceded by
 * the Parse, whose answer the client does not see. A Close of it is answered in place by closing a
 * statement that does not exist; the server keeps it for the next client.
 */
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
  private readonly statements = new Map<string, ClientStatement>();

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
    const server = this.server;
    if (!server) {
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
    const out: Buffer[] = [];
    for (const bytes of this.queue.splice(0)) {
      const type = bytes[0] ?? 0;
      try {
        this.translate(bytes, server, out);
      } catch (error) {
        this.link.send(fatalError("08P01", `leadrail bridge: ${(error as Error).message}`));
        this.close();
        return;
      }
      if (answeredWithReady.has(type)) {
        this.outstanding += 1;
        this.unsynced = false;
        server.rounds.sent += 1;
      } else if (extended.has(type)) this.unsynced = true;
    }
    server.write(concat(out));
  }

  /** Appends to `out` what the server gets for one client message (see the class comment). */
  private translate(bytes: Buffer, server: ServerConnection, out: Buffer[]): void {
    const type = bytes[0];
    const named = statementNamed(bytes);
    if (named === null) {
      out.push(bytes);
      return;
    }
    if (type === 0x50) {
      if (named.name === "") {
        server.parsing(null, false);
        out.push(bytes);
        return;
      }
      // Parse: the statement's definition (query and parameter types) follows its name.
      const definition = bytes.subarray(named.end + 1);
      const serverName = `lr_${createHash("sha1").update(definition).digest("hex")}`;
      const statement = { serverName, parse: renameStatement(bytes, named, serverName) };
      this.statements.set(named.name, statement);
      if (server.prepared.has(serverName)) {
        server.parsing(null, false);
        out.push(emptyParse);
      } else {
        server.parsing(serverName, false);
        out.push(statement.parse);
      }
      return;
    }
    const statement = this.statements.get(named.name);
    if (named.name === "" || !statement) {
      out.push(bytes);
      return;
    }
    if (type === 0x43) {
      this.statements.delete(named.name);
      out.push(closeNothing);
      return;
    }
    this.ensurePrepared(statement, server, out);
    out.push(renameStatement(bytes, named, statement.serverName));
  }

  private ensurePrepared(statement: ClientStatement, server: ServerConnection, out: Buffer[]): void {
    if (server.prepared.has(statement.serverName)) return;
    server.parsing(statement.serverName, true);
    out.push(statement.parse);
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

/** Parse of the unnamed statement from an empty query: answered with ParseComplete, nothing else. */
const emptyParse = message("P", Buffer.from([0, 0, 0, 0]));
/** Close of a statement no client can have prepared: answered with CloseComplete, nothing else. */
const closeNothing = message("C", Buffer.concat([Buffer.from("S"), cstring("lr_closed")]));

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
      maxPrepared: options.maxPrepared ?? 200,
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
    if (startup.length < 8 || startup.readInt32BE(4) !== protocolVersion3) {
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
  // No cancel requests go through the pool: the key only has to look like one.
  const key = backendKeyData(randomInt(1, 2 ** 31 - 1), randomInt(1, 2 ** 31 - 1));
  return Buffer.concat([authenticationOk(), statuses, key, readyForQuery("I")]);
}
