import Sqids from "sqids";

/**
 * Tracked links (`/m/:token`, SPEC §13's funnel). A token is the sqids of `[40, send id, message campaign id,
 * arm position]` in the Worker's alphabet: the edge learns the campaign and arm from the token alone, reads the
 * arm's landing from KV (`messageLinkKvKey`), and redirects without touching Postgres; the events consumer
 * records the click against the send. 40 keeps tokens apart from every hash id (those start with their kind,
 * 1–39). Only the canonical spelling decodes, as with hash ids.
 */
const tokenKind = 40;

export interface LinkToken {
  sendId: number;
  messageCampaignId: number;
  arm: number;
}

const codecs = new Map<string, Sqids>();

function codec(alphabet: string): Sqids {
  let sqids = codecs.get(alphabet);
  if (!sqids) {
    sqids = new Sqids({ alphabet, minLength: 10 });
    codecs.set(alphabet, sqids);
  }
  return sqids;
}

export function encodeLinkToken(alphabet: string, token: LinkToken): string {
  return codec(alphabet).encode([tokenKind, token.sendId, token.messageCampaignId, token.arm]);
}

/** The send, campaign and arm of a token, or null when it is not a canonical token. */
export function decodeLinkToken(alphabet: string, value: string): LinkToken | null {
  if (value.length === 0 || value.length > 48) return null;
  const sqids = codec(alphabet);
  let numbers: number[];
  try {
    numbers = sqids.decode(value);
  } catch {
    return null;
  }
  const [kind, sendId, messageCampaignId, arm] = numbers;
  if (numbers.length !== 4 || kind !== tokenKind || sendId === undefined || messageCampaignId === undefined)
    return null;
  if (arm === undefined || sendId < 1 || messageCampaignId < 1) return null;
  return sqids.encode(numbers) === value ? { sendId, messageCampaignId, arm } : null;
}

/**
 * The EDGE_CONFIG key of a campaign's link targets, published when the campaign launches: a JSON
 * {@link MessageLinkTargets}. Postgres (the arms' `link_url`) stays the source of truth.
 */
export const messageLinkKvKey = (messageCampaignId: number): string => `message-links:${messageCampaignId}`;

export interface MessageLinkTargets {
  /** Per arm position, the absolute landing URL with the campaign's utm parameters already on it. */
  arms: Record<string, string>;
  /** Where a token of an arm without a target goes (the brand's site). */
  fallback: string;
}

/** The query parameter the redirect adds so the landing capture and orders can name the send. */
export const linkTokenParam = "lr_m";
