/**
 * The Postgres wire protocol's framing, shared by the local database's wire server
 * (pglite-wire-server.ts), the WebSocket bridge and its pooler (ws-bridge.ts, pg-pooler.ts) and the
 * benchmarks' round-trip counter (bench/common.ts).
 *
 * A typed message is a type byte, an int32 length that counts itself and the body, and the body. The
 * first packets a client sends (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest) have no
 * type byte: an int32 length counting itself, then an int32 code saying which packet it is.
 */

/** The protocol version a StartupMessage asks for (3.0). */
export const protocolVersion3 = 196608;
/** Codes of the start-up packets that are not a StartupMessage. */
export const requestCodes = { ssl: 80877103, gssEnc: 80877104, cancel: 80877102 };
/** Lengths are refused beyond this (Postgres itself allocates at most 1 GiB for one message). */
export const maxMessageLength = 1 << 30;

/**
 * Splits a byte stream into whole messages across any chunking. `untyped` reads start-up packets
 * until the caller switches it off (after the StartupMessage; an SSLRequest or GSSENCRequest is
 * followed by another start-up packet).
 *
 * Chunks are kept as they came and joined only once a message is complete, so a large message that
 * arrives in many chunks is copied once; a message inside one chunk is a view of it, not a copy.
 */
export class MessageFramer {
  /** The first buffered bytes: every message starts here once `gather` has joined enough of `rest`. */
  private head: Buffer = Buffer.alloc(0);
  private rest: Buffer[] = [];
  private size = 0;

  constructor(public untyped = false) {}

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.size === 0) this.head = bytes;
    else this.rest.push(bytes);
    this.size += bytes.length;
  }

  /** The next whole message, or null until more bytes arrive. Throws on a malformed length. */
  next(): Buffer | null {
    const header = this.untyped ? 4 : 5;
    if (this.size < header) return null;
    this.gather(header);
    const length = this.head.readInt32BE(this.untyped ? 0 : 1);
    if (length < 4 || length > maxMessageLength) throw new Error("malformed Postgres message length");
    const total = this.untyped ? length : length + 1;
    if (this.size < total) return null;
    this.gather(total);
    const whole = this.head.subarray(0, total);
    this.head = this.head.subarray(total);
    this.size -= total;
    return whole;
  }

  /** Bytes buffered beyond the last whole message. */
  get pending(): number {
    return this.size;
  }

  /** Whatever is buffered beyond the last whole message, handed over to someone else. */
  take(): Buffer {
    const rest = this.rest.length === 0 ? this.head : Buffer.concat([this.head, ...this.rest], this.size);
    this.head = Buffer.alloc(0);
    this.rest = [];
    this.size = 0;
    return rest;
  }

  /** Makes `head` hold at least `bytes` bytes (the caller has checked that `size` does). */
  private gather(bytes: number): void {
    if (this.head.length >= bytes) return;
    let have = this.head.length;
    let taken = 0;
    while (have < bytes && taken < this.rest.length) {
      have += (this.rest[taken] as Buffer).length;
      taken += 1;
    }
    const joined = this.rest.splice(0, taken);
    this.head =
      this.head.length === 0 && taken === 1
        ? (joined[0] as Buffer)
        : Buffer.concat([this.head, ...joined], have);
  }
}

/**
 * What a start-up packet asks for: an encrypted connection (SSLRequest, GSSENCRequest: answered
 * with {@link encryptionRefused}, then another start-up packet follows), a cancel, or a session
 * (a StartupMessage, or anything else the server must refuse).
 */
export function startupKind(packet: Buffer): "encryption" | "cancel" | "startup" {
  const code = packet.length >= 8 ? packet.readInt32BE(4) : 0;
  if (code === requestCodes.ssl || code === requestCodes.gssEnc) return "encryption";
  if (code === requestCodes.cancel) return "cancel";
  return "startup";
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

/** A typed message: `type` is its one-letter code. */
export function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const bytes = Buffer.alloc(5 + body.length);
  bytes.write(type, 0, "latin1");
  bytes.writeInt32BE(4 + body.length, 1);
  body.copy(bytes, 5);
  return bytes;
}

/** A NUL-terminated string, as the protocol writes names and texts. */
export const cstring = (text: string): Buffer => Buffer.from(`${text}\0`, "utf8");

/** The single byte a server answers SSLRequest and GSSENCRequest with when it will not encrypt. */
export const encryptionRefused = Buffer.from("N", "latin1");

/** Terminate: the client ends its session. */
export const terminateMessage = message("X");

/** An ErrorResponse with severity FATAL, the given SQLSTATE and text. */
export function fatalError(code: string, text: string): Buffer {
  return message(
    "E",
    Buffer.concat([
      cstring("SFATAL"),
      cstring("VFATAL"),
      cstring(`C${code}`),
      cstring(`M${text}`),
      Buffer.from([0]),
    ]),
  );
}

/** AuthenticationOk: the start-up needs no (more) authentication. */
export function authenticationOk(): Buffer {
  return message("R", Buffer.alloc(4));
}

/** BackendKeyData: what a CancelRequest for this session would have to quote. */
export function backendKeyData(processId: number, secretKey: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeInt32BE(processId, 0);
  body.writeInt32BE(secretKey, 4);
  return message("K", body);
}

/** ReadyForQuery with the transaction status `I` (idle), `T` (in a transaction) or `E` (failed one). */
export function readyForQuery(status: "I" | "T" | "E"): Buffer {
  return message("Z", Buffer.from(status, "latin1"));
}

/** Status byte of the last ReadyForQuery ('Z') in a run of backend messages, if it has one. */
export function lastReadyStatus(response: Uint8Array): string | null {
  const framer = new MessageFramer();
  framer.push(response);
  let status: string | null = null;
  try {
    for (let next = framer.next(); next; next = framer.next()) {
      if (next[0] === 0x5a && next.length === 6) status = String.fromCharCode(next[5] ?? 0);
    }
  } catch {
    // A malformed length ends the run: what came before it stands.
  }
  return status;
}

/** Where a message names a prepared statement: the name and the byte range of its text. */
export interface StatementName {
  name: string;
  start: number;
  /** Offset of the name's NUL terminator. */
  end: number;
}

/**
 * The statement a Parse, a Bind, or a Describe or Close of a statement (not a portal) names
 * (`""` for the unnamed statement); `null` for any other message. Throws on a malformed message.
 */
export function statementNamed(bytes: Buffer): StatementName | null {
  const type = bytes[0];
  let start: number;
  if (type === 0x50) start = 5;
  else if (type === 0x42)
    start = nulAfter(bytes, 5) + 1; // after the portal name
  else if ((type === 0x44 || type === 0x43) && bytes[5] === 0x53) start = 6;
  else return null;
  const end = nulAfter(bytes, start);
  return { name: bytes.toString("utf8", start, end), start, end };
}

/** The same message, naming the statement `name` instead. */
export function renameStatement(bytes: Buffer, at: StatementName, name: string): Buffer {
  return message(
    String.fromCharCode(bytes[0] ?? 0),
    Buffer.concat([bytes.subarray(5, at.start), cstring(name), bytes.subarray(at.end + 1)]),
  );
}

function nulAfter(bytes: Buffer, offset: number): number {
  const stop = bytes.indexOf(0, offset);
  if (stop < 0) throw new Error("malformed Postgres message: unterminated string");
  return stop;
}
