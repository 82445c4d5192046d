import { z } from "zod";
import type { MessagingConfig } from "../platform/messaging-config.ts";
import type { MessageChannel } from "./channels.ts";
import {
  type DeliveryReceipt,
  type DeliveryStatus,
  type MessageProvider,
  normalizeRecipient,
  normalizeSenderNumber,
  type OutboundMessage,
  ProviderError,
  type SendResult,
  type StatusResult,
} from "./provider.ts";

/**
 * The Solapi REST API v4 (https://api.solapi.com) as a `MessageProvider`: SMS, LMS, AlimTalk (`ATA`) and
 * brand message (`BMS_TEXT`) through one `POST /messages/v4/send-many/detail`, the status through
 * `GET /messages/v4/list`, and the delivery reports Solapi posts to a webhook. `fetch` and Web Crypto
 * only, so it runs in workerd and in Node alike. Sources and unconfirmed points: README.md.
 */

export interface SolapiConfig {
  /** `https://api.solapi.com`, or the local simulator's URL; no trailing path. */
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** The longest one request may take, answer body included. */
  timeoutMs: number;
  /** Injected in tests; the global `fetch` otherwise. */
  fetch?: typeof fetch;
  /** The signing time; `new Date()` otherwise. */
  now?: () => Date;
  /** The signing salt; 16 random bytes as hex otherwise. */
  salt?: () => string;
}

export const solapiSendPath = "/messages/v4/send-many/detail";
export const solapiListPath = "/messages/v4/list";
/** The custom field our `customId` travels in (Solapi echoes `customFields` in answers and reports). */
export const solapiCustomIdField = "leadrailId";

const typeOf: Readonly<Record<MessageChannel, string>> = {
  sms: "SMS",
  lms: "LMS",
  alimtalk: "ATA",
  brand_message: "BMS_TEXT",
};

/** Solapi's four-digit status code in the neutral vocabulary; null for a code outside its scheme. */
export function solapiStatusOf(code: string): DeliveryStatus | null {
  if (code === "2000") return "accepted";
  if (code === "3000") return "pending";
  if (code === "4000") return "delivered";
  if (/^1\d{3}$/.test(code)) return "rejected";
  if (/^[23]\d{3}$/.test(code)) return "failed";
  return null;
}

/** The `Authorization` header: HMAC-SHA256 of date + salt, keyed by the API secret, as lower-case hex. */
export async function solapiAuthorization(apiKey: string, apiSecret: string, date: string, salt: string) {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(apiSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(date + salt)));
  let hex = "";
  for (const byte of signature) hex += byte.toString(16).padStart(2, "0");
  return `HMAC-SHA256 apiKey=${apiKey}, date=${date}, salt=${salt}, signature=${hex}`;
}

function randomSalt(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** One message of the send request's `messages`, exactly as Solapi takes it. */
export function solapiMessage(message: OutboundMessage): Record<string, unknown> {
  const to = normalizeRecipient(message.to);
  if (to === null) {
    throw new ProviderError("invalid", `to: ${JSON.stringify(message.to)} is not a Korean mobile number`, {
      field: "to",
    });
  }
  const from = normalizeSenderNumber(message.from);
  if (from === null) {
    throw new ProviderError(
      "invalid",
      `from: ${JSON.stringify(message.from)} is not a Korean sender number`,
      {
        field: "from",
      },
    );
  }
  const base: Record<string, unknown> = { to, from, type: typeOf[message.channel] };
  const customFields = { [solapiCustomIdField]: message.customId };
  switch (message.channel) {
    case "sms":
      return { ...base, text: message.text, customFields };
    case "lms":
      return {
        ...base,
        text: message.text,
        ...(message.subject ? { subject: message.subject } : {}),
        customFields,
      };
    case "alimtalk": {
      const fields = message.alimtalk;
      if (!fields)
        throw new ProviderError("invalid", "alimtalk: an AlimTalk needs its template", { field: "alimtalk" });
      const variables = templateVariables(fields.variables);
      return {
        ...base,
        // With variables Solapi fills the template itself; without, the text must be the template's.
        ...(Object.keys(variables).length === 0 ? { text: message.text } : {}),
        kakaoOptions: {
          pfId: fields.senderKey,
          templateId: fields.templateCode,
          variables,
          // No SMS in its place: an SMS is a different channel under a different consent (the gate's call).
          disableSms: true,
        },
        customFields,
      };
    }
    case "brand_message": {
      const fields = message.brandMessage;
      if (!fields) {
        throw new ProviderError(
          "invalid",
          "brandMessage: a brand message needs its sender key and targeting",
          {
            field: "brandMessage",
          },
        );
      }
      return {
        ...base,
        text: message.text,
        kakaoOptions: {
          pfId: fields.senderKey,
          ...(fields.templateCode
            ? { templateId: fields.templateCode, variables: templateVariables(fields.variables ?? {}) }
            : {}),
          ...(fields.buttons?.length
            ? {
                buttons: fields.buttons.map((button) => ({
                  buttonName: button.name,
                  buttonType: button.type,
                  linkMo: button.urlMobile,
                  ...(button.urlPc ? { linkPc: button.urlPc } : {}),
                })),
              }
            : {}),
          bms: { targeting: fields.targeting },
        },
        customFields,
      };
    }
  }
}

/** Solapi names template variables with their `#{…}` marks: `name` becomes `#{name}`. */
function templateVariables(variables: Record<string, string>): Record<string, string> {
  const marked: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    marked[name.startsWith("#{") && name.endsWith("}") ? name : `#{${name}}`] = value;
  }
  return marked;
}

const customFieldsSchema = z.record(z.string(), z.unknown()).nullish();

const sendAnswerSchema = z.object({
  failedMessageList: z
    .array(
      z.object({
        messageId: z.string().nullish(),
        statusCode: z.coerce.string(),
        statusMessage: z.string().nullish(),
        customFields: customFieldsSchema,
      }),
    )
    .default([]),
  messageList: z
    .array(
      z.object({
        messageId: z.string(),
        statusCode: z.coerce.string(),
        statusMessage: z.string().nullish(),
        customFields: customFieldsSchema,
      }),
    )
    .default([]),
});

const reportSchema = z.object({
  messageId: z.string().min(1),
  statusCode: z.coerce.string(),
  statusMessage: z.string().nullish(),
  reason: z.string().nullish(),
  customFields: customFieldsSchema,
  dateReceived: z.string().nullish(),
  dateProcessed: z.string().nullish(),
  dateReported: z.string().nullish(),
  dateUpdated: z.string().nullish(),
  dateCreated: z.string().nullish(),
});
type Report = z.infer<typeof reportSchema>;

const listAnswerSchema = z.object({ messageList: z.record(z.string(), reportSchema).default({}) });

const errorAnswerSchema = z.object({ errorCode: z.string(), errorMessage: z.string().nullish() });

/** Solapi's 403 codes for the credentials or the signature (authentication/api-key.md). */
const authErrorCodes = new Set([
  "InvalidAPIKey",
  "SignatureDoesNotMatch",
  "RequestTimeTooSkewed",
  "DuplicatedSignature",
]);

function customIdOf(fields: Record<string, unknown> | null | undefined): string | null {
  const value = fields?.[solapiCustomIdField];
  return typeof value === "string" ? value : null;
}

/** When a report's status was reached: received for a delivery, else the latest processing time. */
function reportTime(report: Report): Date | null {
  const raw =
    report.dateReceived ??
    report.dateReported ??
    report.dateProcessed ??
    report.dateUpdated ??
    report.dateCreated;
  if (!raw) return null;
  const at = new Date(raw);
  return Number.isNaN(at.getTime()) ? null : at;
}

export class SolapiProvider implements MessageProvider {
  readonly name = "solapi";
  private readonly baseUrl: string;

  constructor(private readonly config: SolapiConfig) {
    if (!config.apiKey || !config.apiSecret) {
      throw new ProviderError("auth", "the Solapi API key and secret are not configured");
    }
    this.baseUrl = config.baseUrl.replace(/\/+$/, "");
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    const [result] = await this.sendMany([message]);
    if (!result) throw new ProviderError("response", "Solapi answered no result for the message");
    return result;
  }

  async sendMany(messages: readonly OutboundMessage[]): Promise<SendResult[]> {
    if (messages.length === 0) return [];
    const ids = new Set(messages.map((message) => message.customId));
    if (ids.size !== messages.length) {
      throw new ProviderError("invalid", "customId: every message of one request needs its own", {
        field: "customId",
      });
    }
    const body = { messages: messages.map(solapiMessage), showMessageList: true };
    const answer = sendAnswerSchema.safeParse(await this.request("POST", solapiSendPath, body));
    if (!answer.success)
      throw new ProviderError("response", `Solapi's send answer is not readable: ${answer.error.message}`);

    const results = new Map<string, SendResult>();
    for (const accepted of answer.data.messageList) {
      const customId = customIdOf(accepted.customFields);
      if (customId === null) continue;
      const status = solapiStatusOf(accepted.statusCode);
      results.set(customId, {
        providerMessageId: accepted.messageId,
        customId,
        status: status === "rejected" ? "rejected" : "accepted",
        providerCode: accepted.statusCode,
        ...(status === "rejected" ? { error: accepted.statusMessage ?? accepted.statusCode } : {}),
      });
    }
    for (const failed of answer.data.failedMessageList) {
      const customId = customIdOf(failed.customFields);
      if (customId === null) continue;
      results.set(customId, {
        providerMessageId: failed.messageId ?? null,
        customId,
        status: "rejected",
        providerCode: failed.statusCode,
        error: failed.statusMessage ?? failed.statusCode,
      });
    }
    return messages.map((message) => {
      const result = results.get(message.customId);
      if (!result) {
        throw new ProviderError(
          "response",
          `Solapi's answer does not mention the message ${message.customId}`,
        );
      }
      return result;
    });
  }

  async status(providerMessageId: string): Promise<StatusResult> {
    const query = new URLSearchParams({ criteria: "messageId", cond: "eq", value: providerMessageId });
    const answer = listAnswerSchema.safeParse(await this.request("GET", `${solapiListPath}?${query}`));
    if (!answer.success)
      throw new ProviderError("response", `Solapi's list answer is not readable: ${answer.error.message}`);
    const report = answer.data.messageList[providerMessageId];
    if (!report) throw new ProviderError("response", `Solapi knows no message ${providerMessageId}`);
    const status = solapiStatusOf(report.statusCode);
    if (status === null) {
      throw new ProviderError(
        "response",
        `Solapi's status code ${report.statusCode} is not one this adapter knows`,
        {
          providerCode: report.statusCode,
        },
      );
    }
    return {
      providerMessageId,
      customId: customIdOf(report.customFields),
      status,
      providerCode: report.statusCode,
      providerMessage: report.statusMessage ?? report.reason ?? null,
      at: reportTime(report),
    };
  }

  parseReceipt(body: unknown): DeliveryReceipt[] {
    return parseSolapiReports(body);
  }

  private async request(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    const date = (this.config.now ?? (() => new Date()))().toISOString();
    const salt = (this.config.salt ?? randomSalt)();
    const headers: Record<string, string> = {
      authorization: await solapiAuthorization(this.config.apiKey, this.config.apiSecret, date, salt),
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    const doFetch = this.config.fetch ?? fetch;
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      // A DOMException (the abort's reason) is not an Error in every runtime: read its name either way.
      const name = typeof error === "object" && error !== null && "name" in error ? String(error.name) : "";
      if (name === "TimeoutError" || name === "AbortError") {
        throw new ProviderError(
          "timeout",
          `Solapi did not answer ${method} ${path} within ${this.config.timeoutMs} ms`,
        );
      }
      throw new ProviderError("network", `Solapi could not be reached (${method} ${path}): ${String(error)}`);
    }
    let json: unknown;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const problem = errorAnswerSchema.safeParse(json);
      const code = problem.success ? problem.data.errorCode : undefined;
      const words = problem.success
        ? `${problem.data.errorCode}: ${problem.data.errorMessage ?? ""}`.trim()
        : `HTTP ${response.status}`;
      const kind =
        response.status === 401 || (code !== undefined && authErrorCodes.has(code)) ? "auth" : "http";
      throw new ProviderError(kind, `Solapi refused ${method} ${path} (${response.status}) ${words}`, {
        httpStatus: response.status,
        ...(code ? { providerCode: code } : {}),
      });
    }
    if (json === undefined)
      throw new ProviderError("response", `Solapi's answer to ${method} ${path} is not JSON`);
    return json;
  }
}

/**
 * The final reports in a Solapi webhook body (an array of message reports, or one report): delivered
 * (`4000`) or failed (any other code of the 1xxx–3xxx errors); accepted and pending ones are left out.
 * A report without a message id, status code or time is an error, not skipped.
 */
export function parseSolapiReports(body: unknown): DeliveryReceipt[] {
  const items = Array.isArray(body) ? body : [body];
  const receipts: DeliveryReceipt[] = [];
  items.forEach((item, index) => {
    const parsed = reportSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ProviderError(
        "response",
        `report ${index}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`,
        {
          field: `${index}.${issue?.path.join(".") ?? ""}`,
        },
      );
    }
    const report = parsed.data;
    const status = solapiStatusOf(report.statusCode);
    if (status === null) {
      throw new ProviderError(
        "response",
        `report ${index}: status code ${report.statusCode} is not Solapi's`,
        {
          field: `${index}.statusCode`,
          providerCode: report.statusCode,
        },
      );
    }
    if (status === "accepted" || status === "pending") return;
    const at = reportTime(report);
    if (at === null) {
      throw new ProviderError("response", `report ${index}: no time of the report`, {
        field: `${index}.dateReceived`,
      });
    }
    receipts.push({
      providerMessageId: report.messageId,
      customId: customIdOf(report.customFields),
      status: status === "delivered" ? "delivered" : "failed",
      providerCode: report.statusCode,
      providerMessage: report.statusMessage ?? report.reason ?? null,
      at,
    });
  });
  return receipts;
}

/** The provider the Worker's settings name (domain/platform/messaging-config.ts); throws when it has no credentials. */
export function solapiFromConfig(config: MessagingConfig): SolapiProvider {
  return new SolapiProvider({
    baseUrl: config.MESSAGING_PROVIDER_BASE_URL,
    apiKey: config.MESSAGING_PROVIDER_API_KEY ?? "",
    apiSecret: config.MESSAGING_PROVIDER_API_SECRET ?? "",
    timeoutMs: config.MESSAGING_PROVIDER_TIMEOUT_MS,
  });
}
