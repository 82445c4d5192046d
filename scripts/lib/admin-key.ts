import { looksLikeApiKey } from "../../domain/ops/api-keys.ts";

/** The admin key `npm start` seeds when LEADRAIL_ADMIN_KEY is unset (documented in the README). */
export const defaultAdminKey = "lr_dev_admin_0000000000000000000000";

/**
 * The form the API accepts (domain/ops/api-keys.ts `looksLikeApiKey`), in words for messages: the rule itself
 * is only ever checked through `looksLikeApiKey`, so the two cannot drift apart unnoticed (a test pins
 * this text to the rule's boundaries).
 */
export const apiKeyForm = '"lr_" followed by 8 to 200 printable ASCII characters without spaces';

/** A key the API would refuse: the message names where it came from and the form it must have. */
export class BadApiKeyError extends Error {}

/** Why a value is not in the accepted form, without repeating the (secret) value itself. */
function whatIsWrong(key: string): string {
  if (!key.startsWith("lr_")) return `it starts with "${key.slice(0, 3)}"`;
  const rest = key.slice(3);
  if (/[^\x21-\x7e]/.test(rest)) return "it contains a space or a character outside printable ASCII";
  return `it has ${rest.length} character${rest.length === 1 ? "" : "s"} after "lr_"`;
}

/**
 * `key` when the API could accept it; otherwise a BadApiKeyError naming `source` (the variable or flag
 * it came from). Checked before anything starts or connects, so a key that cannot work is never seeded.
 */
export function checkApiKey(key: string, source: string): string {
  if (looksLikeApiKey(key)) return key;
  throw new BadApiKeyError(
    `${source} must be ${apiKeyForm}, the form the API accepts; ${whatIsWrong(key)}. Unset it to use the demo key ${defaultAdminKey}.`,
  );
}

/** LEADRAIL_ADMIN_KEY (trimmed), else the demo key; refused (BadApiKeyError) when the API would not accept it. */
export function adminKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const key = env.LEADRAIL_ADMIN_KEY?.trim();
  return key ? checkApiKey(key, "LEADRAIL_ADMIN_KEY") : defaultAdminKey;
}
