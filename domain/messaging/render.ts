import type { MessageChannel } from "./channels.ts";
import { channelLimits } from "./channels.ts";
import { eucKrByteLength } from "./euc-kr.ts";
import { encodeLinkToken, type LinkToken } from "./links.ts";

/**
 * A send's text as it goes out (CONTRACT §2): `{link}` becomes the send's tracked link, `{name}` the
 * recipient's first name (empty when unknown), and a template's `#{variable}` marks their values.
 */

/** `<base>/m/<token>`: the tracked link of one send. */
export function trackedLink(baseUrl: string, alphabet: string, token: LinkToken): string {
  return `${baseUrl.replace(/\/+$/, "")}/m/${encodeLinkToken(alphabet, token)}`;
}

export interface Placeholders {
  /** Computed only when the text asks for it. */
  link: () => string;
  name: string;
}

/** `{link}` and `{name}` filled in; any other brace is left as written. */
export function fillPlaceholders(text: string, values: Placeholders): string {
  let out = text;
  if (out.includes("{link}")) out = out.replaceAll("{link}", values.link());
  return out.replaceAll("{name}", values.name);
}

/** A template's `#{name}` marks replaced by `variables` (named with or without the marks); unknown ones stay. */
export function fillTemplate(text: string, variables: Readonly<Record<string, string>>): string {
  return text.replace(/#\{([^}]+)\}/g, (whole, name: string) => variables[name] ?? variables[whole] ?? whole);
}

/** The channel of an informational notice: SMS when it fits 90 EUC-KR bytes, LMS otherwise. */
export function noticeChannel(text: string): Extract<MessageChannel, "sms" | "lms"> {
  return eucKrByteLength(text).bytes > channelLimits.sms.max ? "lms" : "sms";
}

/** String values of a jsonb object of variables; anything else is dropped. */
export function stringVariables(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) return out;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === "string") out[key] = item;
    else if (typeof item === "number" || typeof item === "boolean") out[key] = String(item);
  }
  return out;
}
