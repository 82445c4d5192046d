import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for Solapi's REST API v4, speaking its wire format so the real adapter
 * (domain/messaging/solapi.ts) is what talks to it: `POST /messages/v4/send-many/detail` (signature
 * checked as Solapi checks it), `GET /messages/v4/list?criteria=messageId&cond=eq&value=<id>`, and,
 * `receiptDelayMs` after a send, one `POST` of that request's final reports (a JSON array) to
 * `callbackUrl`. Failures on request: a recipient ending in `rejectSuffix` is refused at send
 * (`failedMessageList`, 1060), one ending in `failSuffix` is accepted and then fails (3104 on Kakao,
 * 3043 on SMS/LMS); `POST /__fault {"status":503,"count":1}` makes the next requests answer that status.
 * What it received is kept, bounded, for tests: `GET /__sent`, `GET /__receipts`, `DELETE /__sent`.
 */

/** The development credentials `npm start` gives the simulator and the Worker (as in .dev.vars.example). */
export const simulatorApiKey = "simulator_local_key";
export const simulatorApiSecret = "simulator_local_development_only";

export interface MessageSimulatorOptions {
  /** 0 or unset: a free port. Always on 127.0.0.1. */
  port?: number;
  apiKey: string;
  apiSecret: string;
  /** Where delivery reports are posted; unset, they are only kept (`GET /__receipts`). */
  callbackUrl?: string | undefined;
  /** How long after a send its reports are posted (default 1000 ms). */
  receiptDelayMs?: number;
  /** A recipient ending in this is refused at send (default `0000`). */
  rejectSuffix?: string;
  /** A recipient ending in this is accepted, then fails (default `9999`). */
  failSuffix?: string;
  /** How many messages and report posts are kept; older ones are forgotten (default 1000). */
  maxKept?: number;
  /** The clock for ids, report times and the signature's ±15 minutes. */
  now?: () => Date;
}

/** A message as the simulator took it: Solapi's request fields, plus what it decided. */
export interface SimulatedMessage {
  messageId: string;
  groupId: string;
  to: string;
  from: string;
  type: string;
  text: string | null;
  subject: string | null;
  kakaoOptions: Record<string, unknown> | null;
  customFields: Record<string, string>;
  statusCode: string;
  statusMessage: string;
  dateCreated: string;
  dateUpdated: string;
  dateReceived: string | null;
}

/** One post of reports to the callback, as sent, and how it went. */
export interface ReceiptPost {
  url: string;
  body: string;
  /** The callback's HTTP status, or null when it could not be reached. */
  status: number | null;
  error: string | null;
}

export interface MessageSimulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  sent(): SimulatedMessage[];
  receipts(): ReceiptPost[];
  /** Resolves once every report scheduled so far has been posted. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const types = new Set(["SMS", "LMS", "ATA", "BMS_TEXT"]);
const maxBodyBytes = 1_000_000;
const skewMs = 15 * 60_000;

export async function startMessageSimulator(options: MessageSimulatorOptions): Promise<MessageSimulator> {
  const now = options.now ?? (() => new Date());
  const delayMs = options.receiptDelayMs ?? 1000;
  const rejectSuffix = options.rejectSuffix ?? "0000";
  const failSuffix = options.failSuffix ?? "9999";
  const maxKept = options.maxKept ?? 1000;
  const messages = new Map<string, SimulatedMessage>();
  const posts: ReceiptPost[] = [];
  // Solapi refuses a signature used twice within 15 minutes; kept with its time, pruned as it ages.
  const signatures = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  let fault: { status: number; count: number } | null = null;
  let sequence = 0;

  const keep = (message: SimulatedMessage) => {
    messages.set(message.messageId, message);
    while (messages.size > maxKept) {
      const oldest = messages.keys().next().value;
      if (oldest === undefined) break;
      messages.delete(oldest);
    }
  };

  const newId = (prefix: "M4V" | "G4V") => {
    const stamp = now().toISOString().replace(/[-:T]/g, "").slice(0, 14);
    sequence = (sequence + 1) % 1_000_000;
    const random = randomBytes(6).toString("hex").toUpperCase();
    return `${prefix}${stamp}${String(sequence).padStart(6, "0")}${random}`.slice(0, 32);
  };

  const authError = (authorization: string | undefined): { code: string; message: string } | null => {
    const match = /^HMAC-SHA256 apiKey=([^,]+), date=([^,]+), salt=([^,]+), signature=([0-9a-f]+)$/.exec(
      authorization ?? "",
    );
    if (!match)
      return {
        code: "InvalidAuthorization",
        message: "Authorization is not HMAC-SHA256 apiKey, date, salt, signature",
      };
    const [, apiKey = "", date = "", salt = "", signature = ""] = match;
    if (apiKey !== options.apiKey) return { code: "InvalidAPIKey", message: "유효한 API Key가 아님" };
    const expected = createHmac("sha256", options.apiSecret)
      .update(date + salt)
      .digest();
    const given = Buffer.from(signature, "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { code: "SignatureDoesNotMatch", message: "생성한 Signature가 일치하지 않음" };
    }
    const at = Date.parse(date);
    const nowMs = now().getTime();
    if (Number.isNaN(at) || Math.abs(nowMs - at) > skewMs) {
      return { code: "RequestTimeTooSkewed", message: "시간 값이 서버 시간을 15분 이상 벗어남" };
    }
    for (const [seen, time] of signatures) if (nowMs - time > skewMs) signatures.delete(seen);
    if (signatures.has(signature))
      return { code: "DuplicatedSignature", message: "15분 안에 동일한 signature 값" };
    signatures.set(signature, nowMs);
    // Bounded like the rest: past 10 × maxKept, the oldest signatures are forgotten early.
    for (const seen of signatures.keys()) {
      if (signatures.size <= maxKept * 10) break;
      signatures.delete(seen);
    }
    return null;
  };

  const report = (message: SimulatedMessage) => ({
    messageId: message.messageId,
    groupId: message.groupId,
    to: message.to,
    from: message.from,
    type: message.type,
    statusCode: message.statusCode,
    statusMessage: message.statusMessage,
    customFields: message.customFields,
    dateCreated: message.dateCreated,
    dateProcessed: message.dateUpdated,
    dateReceived: message.dateReceived,
    dateUpdated: message.dateUpdated,
  });

  const postReports = async (reports: unknown[]) => {
    if (!options.callbackUrl) return;
    const body = JSON.stringify(reports);
    const post: ReceiptPost = { url: options.callbackUrl, body, status: null, error: null };
    try {
      const response = await fetch(options.callbackUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer();
      post.status = response.status;
    } catch (error) {
      post.error = String(error);
    }
    posts.push(post);
    if (posts.length > maxKept) posts.splice(0, posts.length - maxKept);
  };

  const finish = (accepted: SimulatedMessage[]) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      const at = now().toISOString();
      for (const message of accepted) {
        const fails = message.to.endsWith(failSuffix);
        const kakao = message.type === "ATA" || message.type.startsWith("BMS");
        message.statusCode = fails ? (kakao ? "3104" : "3043") : "4000";
        message.statusMessage = fails ? (kakao ? "카카오톡 미사용자" : "단말기 Power off") : "수신 완료";
        message.dateUpdated = at;
        message.dateReceived = fails ? null : at;
      }
      const work = postReports(accepted.map(report)).finally(() => inFlight.delete(work));
      inFlight.add(work);
    }, delayMs);
    timers.add(timer);
  };

  const send = (body: unknown): unknown => {
    const list = (body as { messages?: unknown })?.messages;
    if (!Array.isArray(list) || list.length === 0) {
      return { error: { code: "ValidationError", message: "messages: 발송할 메시지 내용이 없습니다" } };
    }
    const groupId = newId("G4V");
    const created = now().toISOString();
    const failedMessageList: unknown[] = [];
    const messageList: unknown[] = [];
    const accepted: SimulatedMessage[] = [];
    for (const raw of list as Record<string, unknown>[]) {
      const text = typeof raw.text === "string" ? raw.text : null;
      const type = typeof raw.type === "string" ? raw.type.toUpperCase() : "";
      const customFields: Record<string, string> = {};
      if (raw.customFields && typeof raw.customFields === "object") {
        for (const [key, value] of Object.entries(raw.customFields))
          if (typeof value === "string") customFields[key] = value;
      }
      const message: SimulatedMessage = {
        messageId: newId("M4V"),
        groupId,
        to: typeof raw.to === "string" ? raw.to : "",
        from: typeof raw.from === "string" ? raw.from : "",
        type,
        text,
        subject: typeof raw.subject === "string" ? raw.subject : null,
        kakaoOptions:
          raw.kakaoOptions && typeof raw.kakaoOptions === "object"
            ? (raw.kakaoOptions as Record<string, unknown>)
            : null,
        customFields,
        statusCode: "2000",
        statusMessage: "정상 접수(이통사로 접수 예정)",
        dateCreated: created,
        dateUpdated: created,
        dateReceived: null,
      };
      const kakao = type === "ATA" || type.startsWith("BMS");
      const refusal =
        !/^\d{8,11}$/.test(message.to) || !/^\d{8,11}$/.test(message.from)
          ? ["1010", "필수 입력 값 미입력"]
          : !types.has(type)
            ? ["1025", "잘못된 메시지 타입"]
            : kakao && !message.kakaoOptions?.pfId
              ? ["1041", "유효한 플러스 친구 값이 아닙니다."]
              : type === "ATA" && !message.kakaoOptions?.templateId
                ? ["1042", "유효한 템플릿 아이디가 아닙니다."]
                : !kakao && !text
                  ? ["1010", "필수 입력 값 미입력"]
                  : message.to.endsWith(rejectSuffix)
                    ? ["1060", "차단된 수신번호"]
                    : null;
      if (refusal) {
        message.statusCode = refusal[0] ?? "1010";
        message.statusMessage = refusal[1] ?? "";
        failedMessageList.push({
          to: message.to,
          from: message.from,
          type: message.type,
          statusMessage: message.statusMessage,
          country: "82",
          messageId: message.messageId,
          statusCode: message.statusCode,
          accountId: "simulator",
          customFields,
        });
      } else {
        accepted.push(message);
        messageList.push({
          messageId: message.messageId,
          statusCode: message.statusCode,
          customFields,
          statusMessage: message.statusMessage,
        });
      }
      keep(message);
    }
    if (accepted.length > 0) finish(accepted);
    const showMessageList = (body as { showMessageList?: unknown }).showMessageList === true;
    return {
      failedMessageList,
      groupInfo: {
        groupId,
        _id: groupId,
        status: "SENDING",
        count: {
          total: list.length,
          registeredSuccess: accepted.length,
          registeredFailed: failedMessageList.length,
        },
        dateCreated: created,
      },
      ...(showMessageList ? { messageList } : {}),
    };
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error) =>
      answer(response, 500, { errorCode: "InternalError", errorMessage: String(error) }),
    );
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const body = await readBody(request);
    if (url.pathname === "/__sent" && request.method === "GET")
      return answer(response, 200, { messages: [...messages.values()] });
    if (url.pathname === "/__sent" && request.method === "DELETE") {
      messages.clear();
      posts.length = 0;
      return answer(response, 204, null);
    }
    if (url.pathname === "/__receipts" && request.method === "GET") return answer(response, 200, { posts });
    if (url.pathname === "/__fault" && request.method === "POST") {
      const parsed = JSON.parse(body || "{}") as { status?: unknown; count?: unknown };
      const status = Number(parsed.status);
      fault =
        Number.isInteger(status) && status >= 400 && status <= 599
          ? { status, count: Number(parsed.count ?? 1) || 1 }
          : null;
      return answer(response, 200, { fault });
    }

    const isSend = url.pathname === "/messages/v4/send-many/detail" && request.method === "POST";
    const isList = url.pathname === "/messages/v4/list" && request.method === "GET";
    if (!isSend && !isList)
      return answer(response, 404, {
        errorCode: "NotFound",
        errorMessage: `${request.method} ${url.pathname}`,
      });
    if (fault) {
      const status = fault.status;
      fault.count -= 1;
      if (fault.count <= 0) fault = null;
      return answer(response, status, {
        errorCode: "SimulatedFault",
        errorMessage: `the simulator was asked to answer ${status}`,
      });
    }
    const refused = authError(request.headers.authorization);
    if (refused) return answer(response, 403, { errorCode: refused.code, errorMessage: refused.message });

    if (isList) {
      const id = url.searchParams.get("value") ?? "";
      const found = url.searchParams.get("criteria") === "messageId" ? messages.get(id) : undefined;
      const messageList = found ? { [found.messageId]: { _id: found.messageId, ...report(found) } } : {};
      return answer(response, 200, { startKey: null, limit: 20, messageList });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return answer(response, 400, { errorCode: "ValidationError", errorMessage: "the body is not JSON" });
    }
    const result = send(parsed) as { error?: { code: string; message: string } };
    if (result.error)
      return answer(response, 400, { errorCode: result.error.code, errorMessage: result.error.message });
    return answer(response, 200, result);
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    sent: () => [...messages.values()],
    receipts: () => [...posts],
    settled: async () => {
      while (timers.size > 0 || inFlight.size > 0) {
        await Promise.all(inFlight);
        if (timers.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  if (body === null) {
    response.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(text);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        reject(new Error("request body over 1 MB"));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
