import { describe, expect, it } from "vitest";
import {
  authenticationOk,
  backendKeyData,
  encryptionRefused,
  fatalError,
  lastReadyStatus,
  MessageFramer,
  maxMessageLength,
  message,
  readyForQuery,
  renameStatement,
  startupKind,
  startupParameters,
  statementNamed,
  terminateMessage,
} from "../../scripts/lib/pg-wire.ts";

// Inputs are built by hand here, not with the module's own builders, so that a wrong builder and a
// wrong reader cannot agree with each other.
const typed = (type: string, body: Buffer | string = ""): Buffer => {
  const content = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const bytes = Buffer.alloc(5 + content.length);
  bytes.write(type, 0, "latin1");
  bytes.writeInt32BE(4 + content.length, 1);
  content.copy(bytes, 5);
  return bytes;
};
const untyped = (code: number, body = ""): Buffer => {
  const bytes = Buffer.alloc(8 + Buffer.byteLength(body));
  bytes.writeInt32BE(bytes.length, 0);
  bytes.writeInt32BE(code, 4);
  bytes.write(body, 8);
  return bytes;
};
const sslRequest = untyped(80877103);
const startupMessage = untyped(196608, "user\0app\0database\0crm\0\0");
const afterStartup = [
  typed("Q", "SELECT 1\0"),
  typed("P", "s1\0SELECT $1\0\0\0"),
  typed("B", Buffer.from([0, 0x73, 0x31, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0x34, 0x32, 0, 0])),
  typed("S"),
  typed("X"),
];
const conversation = [sslRequest, startupMessage, ...afterStartup];
const stream = Buffer.concat(conversation);

/** Reads `chunks` as a client's side of a session: start-up packets until the StartupMessage. */
function readSession(chunks: Buffer[]): { messages: Buffer[]; framer: MessageFramer } {
  const framer = new MessageFramer(true);
  const messages: Buffer[] = [];
  for (const chunk of chunks) {
    framer.push(chunk);
    for (let next = framer.next(); next; next = framer.next()) {
      messages.push(next);
      if (framer.untyped && startupKind(next) === "startup") framer.untyped = false;
    }
  }
  return { messages, framer };
}

describe("MessageFramer", () => {
  it("yields the same messages wherever the stream is split in two", () => {
    for (let at = 0; at <= stream.length; at++) {
      const { messages, framer } = readSession([stream.subarray(0, at), stream.subarray(at)]);
      expect(messages, `split at byte ${at}`).toEqual(conversation);
      expect(framer.pending).toBe(0);
    }
  });

  it("yields the same messages wherever the stream is split in three", () => {
    for (let a = 1; a < stream.length; a++) {
      for (let b = a + 1; b < stream.length; b++) {
        const { messages } = readSession([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]);
        expect(messages.length, `split at bytes ${a} and ${b}`).toBe(conversation.length);
        expect(Buffer.concat(messages).equals(stream), `split at bytes ${a} and ${b}`).toBe(true);
      }
    }
  });

  it("yields the same messages from one byte at a time", () => {
    const bytes = [...stream].map((byte) => Buffer.from([byte]));
    expect(readSession(bytes).messages).toEqual(conversation);
  });

  it("yields several messages from one chunk, as views of it, and keeps a partial one", () => {
    const partial = typed("Q", "SELECT 2\0").subarray(0, 7);
    const chunk = Buffer.concat([...afterStartup, partial]);
    const framer = new MessageFramer();
    framer.push(chunk);
    const seen: Buffer[] = [];
    for (let next = framer.next(); next; next = framer.next()) seen.push(next);
    expect(seen).toEqual(afterStartup);
    expect(seen.every((bytes) => bytes.buffer === chunk.buffer)).toBe(true);
    expect(framer.pending).toBe(7);
    expect(framer.next()).toBeNull();
    framer.push(typed("Q", "SELECT 2\0").subarray(7));
    expect(framer.next()).toEqual(typed("Q", "SELECT 2\0"));
    expect(framer.pending).toBe(0);
  });

  it("hands over what is buffered beyond the last whole message, however it arrived", () => {
    const framer = new MessageFramer(true);
    framer.push(Buffer.concat([startupMessage, Buffer.from([0x51, 0])]));
    framer.push(Buffer.from([0, 0]));
    framer.push(new Uint8Array([13, 0x53]));
    expect(framer.next()).toEqual(startupMessage);
    expect(framer.pending).toBe(6);
    expect(framer.take()).toEqual(Buffer.from([0x51, 0, 0, 0, 13, 0x53]));
    expect(framer.pending).toBe(0);
    expect(framer.next()).toBeNull();
  });

  it("reads the same bytes as a start-up packet or as a typed message, as it is told", () => {
    // Untyped, an 8-byte packet; typed, a message of type 0 whose length is bytes 1 to 4.
    const bytes = Buffer.from([0, 0, 0, 8, 0x53, 0, 0, 0]);
    const asStartup = new MessageFramer(true);
    asStartup.push(bytes);
    expect(asStartup.next()).toEqual(bytes);
    const asTyped = new MessageFramer();
    asTyped.push(bytes);
    // Type 0x00, length 0x00000853: 2131 bytes, most still to come.
    expect(asTyped.next()).toBeNull();
    expect(asTyped.pending).toBe(8);
  });

  it("accepts the shortest messages and lengths up to the limit", () => {
    const empty = new MessageFramer();
    empty.push(Buffer.from([0x53, 0, 0, 0, 4, 0x48, 0, 0, 0, 4]));
    expect(empty.next()).toEqual(Buffer.from([0x53, 0, 0, 0, 4]));
    expect(empty.next()).toEqual(Buffer.from([0x48, 0, 0, 0, 4]));

    const bare = new MessageFramer(true);
    bare.push(Buffer.from([0, 0, 0, 4]));
    expect(bare.next()).toEqual(Buffer.from([0, 0, 0, 4]));

    const largest = new MessageFramer();
    const header = Buffer.alloc(5);
    header.write("d", 0, "latin1");
    header.writeInt32BE(maxMessageLength, 1);
    largest.push(header);
    expect(largest.next()).toBeNull();
    expect(largest.pending).toBe(5);
  });

  it("refuses a length that cannot be a message, typed or not", () => {
    const lengths = [3, 0, -1, -(2 ** 31), maxMessageLength + 1];
    for (const length of lengths) {
      const head = Buffer.alloc(5);
      head.write("Q", 0, "latin1");
      head.writeInt32BE(length, 1);
      const framer = new MessageFramer();
      framer.push(head);
      expect(() => framer.next(), `typed length ${length}`).toThrow("malformed Postgres message length");

      const startup = Buffer.alloc(4);
      startup.writeInt32BE(length, 0);
      const first = new MessageFramer(true);
      first.push(startup);
      expect(() => first.next(), `untyped length ${length}`).toThrow("malformed Postgres message length");
    }
    expect(maxMessageLength).toBe(2 ** 30);
  });

  it("waits for the whole header before judging a length", () => {
    const framer = new MessageFramer();
    framer.push(Buffer.from([0x51, 0, 0, 0]));
    expect(framer.next()).toBeNull();
    framer.push(Buffer.from([2]));
    expect(() => framer.next()).toThrow("malformed Postgres message length");
  });
});

describe("start-up packets", () => {
  it("tells encryption requests, cancels and StartupMessages apart", () => {
    expect(startupKind(sslRequest)).toBe("encryption");
    expect(startupKind(untyped(80877104))).toBe("encryption");
    expect(startupKind(untyped(80877102, "\0\0\0\x01\0\0\0\x02"))).toBe("cancel");
    expect(startupKind(startupMessage)).toBe("startup");
    // Too short to hold a code: the server must answer it as a (bad) StartupMessage.
    expect(startupKind(Buffer.from([0, 0, 0, 4]))).toBe("startup");
  });

  it("reads a StartupMessage's parameters", () => {
    const packet = untyped(196608, "user\0app\0database\0crm\0application_name\0leadrail\0\0");
    expect([...startupParameters(packet)]).toEqual([
      ["user", "app"],
      ["database", "crm"],
      ["application_name", "leadrail"],
    ]);
  });
});

describe("message builders", () => {
  it("write the bytes the protocol defines", () => {
    expect(message("Q", Buffer.from("SELECT 1\0"))).toEqual(typed("Q", "SELECT 1\0"));
    expect(message("S")).toEqual(Buffer.from([0x53, 0, 0, 0, 4]));
    expect(fatalError("53300", "busy").toString("latin1")).toBe(
      "E\0\0\0\x20SFATAL\0VFATAL\0C53300\0Mbusy\0\0",
    );
    expect(authenticationOk()).toEqual(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]));
    expect(backendKeyData(0x01020304, 0x7f000001)).toEqual(
      Buffer.from([0x4b, 0, 0, 0, 12, 1, 2, 3, 4, 0x7f, 0, 0, 1]),
    );
    expect(readyForQuery("T")).toEqual(Buffer.from([0x5a, 0, 0, 0, 5, 0x54]));
    expect(terminateMessage).toEqual(Buffer.from([0x58, 0, 0, 0, 4]));
    expect(encryptionRefused).toEqual(Buffer.from([0x4e]));
  });
});

describe("lastReadyStatus", () => {
  it("reads the status of the last ReadyForQuery in a response", () => {
    const commandComplete = [0x43, 0, 0, 0, 9, ...Buffer.from("BEGIN\0")].slice(0, 10);
    const ready = (status: string) => [0x5a, 0, 0, 0, 5, status.charCodeAt(0)];
    expect(lastReadyStatus(new Uint8Array([...commandComplete, ...ready("T")]))).toBe("T");
    expect(lastReadyStatus(new Uint8Array([...ready("T"), ...ready("I")]))).toBe("I");
    expect(lastReadyStatus(new Uint8Array(commandComplete))).toBeNull();
    expect(lastReadyStatus(new Uint8Array([]))).toBeNull();
  });

  it("stops at a truncated or malformed message", () => {
    const ready = (status: string) => [0x5a, 0, 0, 0, 5, status.charCodeAt(0)];
    expect(lastReadyStatus(new Uint8Array([...ready("T"), ...ready("I").slice(0, 5)]))).toBe("T");
    expect(lastReadyStatus(new Uint8Array([...ready("E"), 0x44, 0, 0, 0, 1, ...ready("I")]))).toBe("E");
    // A view into a larger buffer is read from its own start.
    const larger = new Uint8Array([...ready("I"), ...ready("T")]);
    expect(lastReadyStatus(larger.subarray(6))).toBe("T");
    expect(lastReadyStatus(larger.subarray(0, 6))).toBe("I");
  });
});

describe("statement names", () => {
  const parse = typed("P", "s1\0SELECT $1\0\0\0");
  const bind = typed("B", "portal\0s1\0\0\0\0\0\0\0");
  const describeStatement = typed("D", "Ss1\0");
  const describePortal = typed("D", "Ps1\0");
  const close = typed("C", "Ss1\0");

  it("finds the statement a Parse, Bind, Describe or Close names", () => {
    expect(statementNamed(parse)).toEqual({ name: "s1", start: 5, end: 7 });
    expect(statementNamed(bind)).toEqual({ name: "s1", start: 12, end: 14 });
    expect(statementNamed(describeStatement)).toEqual({ name: "s1", start: 6, end: 8 });
    expect(statementNamed(close)).toEqual({ name: "s1", start: 6, end: 8 });
    expect(statementNamed(typed("P", "\0SELECT 1\0\0\0"))).toEqual({ name: "", start: 5, end: 5 });
    expect(statementNamed(describePortal)).toBeNull();
    expect(statementNamed(typed("Q", "SELECT 1\0"))).toBeNull();
    expect(() => statementNamed(typed("P", "s1"))).toThrow("unterminated string");
  });

  it("renames it, the length following", () => {
    const renamed = (bytes: Buffer) => {
      const at = statementNamed(bytes);
      if (!at) throw new Error("no statement named");
      return renameStatement(bytes, at, "c1_s1");
    };
    expect(renamed(parse)).toEqual(typed("P", "c1_s1\0SELECT $1\0\0\0"));
    expect(renamed(bind)).toEqual(typed("B", "portal\0c1_s1\0\0\0\0\0\0\0"));
    expect(renamed(close)).toEqual(typed("C", "Sc1_s1\0"));
  });
});
