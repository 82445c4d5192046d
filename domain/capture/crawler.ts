import { isbot } from "isbot";
import { truncateText } from "../core/text.ts";

/** Which signal called a capture a bot. */
export type BotReason = "user_agent" | "verified_bot" | "bot_score" | "asn";

export interface CrawlerSignals {
  userAgent: string | null;
  /** Cloudflare bot score 1–99 (1 = automated); `null` when bot management did not score the request. */
  botScore: number | null;
  verifiedBot: boolean;
  asn: number | null;
}

export interface CrawlerVerdict {
  isBot: boolean;
  reason: BotReason | null;
  /** What matched, for operators (never the visitor's data beyond the user agent's product token). */
  detail: string | null;
}

/** Cloudflare's own threshold: scores below 30 are "likely automated". */
export const botScoreThreshold = 29;

/**
 * Autonomous systems of hosting and cloud providers. A landing form submitted from a
 * data centre is a script, a headless browser or a proxy-based scraper, not a visitor.
 * Consumer VPN exits (e.g. Cloudflare WARP on AS13335) are deliberately absent.
 */
export const dataCentreAsns: ReadonlyMap<number, string> = new Map([
  [16509, "Amazon Web Services"],
  [14618, "Amazon Web Services (us-east-1)"],
  [15169, "Google"],
  [396982, "Google Cloud"],
  [8075, "Microsoft Azure"],
  [14061, "DigitalOcean"],
  [16276, "OVHcloud"],
  [24940, "Hetzner Online"],
  [213230, "Hetzner Cloud"],
  [63949, "Akamai Connected Cloud (Linode)"],
  [45102, "Alibaba Cloud"],
  [37963, "Alibaba Cloud (Hangzhou)"],
  [31898, "Oracle Cloud"],
  [132203, "Tencent Cloud"],
  [45090, "Tencent Cloud (Shenzhen)"],
  [20473, "Vultr (Choopa)"],
  [51167, "Contabo"],
  [12876, "Scaleway"],
]);

/**
 * In-app browsers and mobile browsers whose user agents carry product tokens of their own.
 * They are people, so a future bot pattern that happens to match a generic substring of
 * their user agent must not turn them into bots.
 */
const inAppMarkers: readonly RegExp[] = [
  /\bKAKAOTALK[ /]\d/,
  /\bKAKAOSTORY\/\d/,
  /\bNAVER\(inapp;/,
  /\bDaumApps\/\d/,
  /\bInstagram \d/,
  /\[FB(AN|_IAB)\//,
  /\bFBAV\/\d/,
  /\bLine\/\d/,
  /\bSamsungBrowser\/\d/,
  /\bMicroMessenger\/\d/,
  /\bWhale\/\d/,
  /\bBAND\/\d/,
];

/** A rendering engine token: in-app browsers are real WebKit/Blink/Gecko web views. */
const browserEngine = /^Mozilla\/5\.0 \(.*(AppleWebKit\/|Gecko\/)/;

/** Words that no human browser carries: an in-app marker next to one of these is still a bot. */
const automationWords =
  /bot\b|bot\/|crawl|spider|scrap|preview|externalhit|headless|phantom|selenium|webdriver|puppeteer|playwright|lighthouse|python|curl|wget|okhttp|axios|fetch|go-http|java\//i;

/** True for a real in-app or mobile browser that must never count as a crawler by its user agent. */
export function isAllowedBrowser(userAgent: string): boolean {
  return (
    browserEngine.test(userAgent) &&
    inAppMarkers.some((marker) => marker.test(userAgent)) &&
    !automationWords.test(userAgent)
  );
}

/**
 * Crawler detection (pipeline stage 1). The user agent decides first (isbot, with the
 * in-app allow rule), then Cloudflare's verified-bot flag and bot score, then the
 * network: a request from a known data-centre ASN is automated whatever it claims to be.
 */
export function detectCrawler(signals: CrawlerSignals): CrawlerVerdict {
  const userAgent = signals.userAgent?.trim() ?? "";
  if (userAgent.length === 0) return { isBot: true, reason: "user_agent", detail: "no user agent" };
  if (isbot(userAgent) && !isAllowedBrowser(userAgent)) {
    return { isBot: true, reason: "user_agent", detail: productToken(userAgent) };
  }
  if (signals.verifiedBot) return { isBot: true, reason: "verified_bot", detail: "cloudflare verified bot" };
  if (signals.botScore !== null && signals.botScore >= 1 && signals.botScore <= botScoreThreshold) {
    return { isBot: true, reason: "bot_score", detail: `bot score ${signals.botScore}` };
  }
  if (signals.asn !== null) {
    const network = dataCentreAsns.get(signals.asn);
    if (network) return { isBot: true, reason: "asn", detail: `AS${signals.asn} ${network}` };
  }
  return { isBot: false, reason: null, detail: null };
}

/** The first product token of a user agent (e.g. `Googlebot/2.1`), capped: enough to tell bots apart. */
function productToken(userAgent: string): string {
  const compatible = /compatible; ([^;)]+)/.exec(userAgent)?.[1];
  const token = compatible ?? userAgent.split(/\s+/)[0] ?? userAgent;
  return truncateText(token, 64);
}

/** Reads the crawler signals from the request headers and `request.cf` the edge recorded. */
export function crawlerSignals(
  headers: Record<string, string>,
  cf: Record<string, unknown> | null,
): CrawlerSignals {
  const management = cf?.botManagement;
  const record = typeof management === "object" && management !== null ? management : {};
  const score = "score" in record ? toNumber(record.score) : null;
  return {
    userAgent: header(headers, "user-agent"),
    botScore: score,
    verifiedBot: "verifiedBot" in record && record.verifiedBot === true,
    asn: toNumber(cf?.asn),
  };
}

/** Header lookup that does not depend on the case the edge recorded names in. */
export function header(headers: Record<string, string>, name: string): string | null {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return null;
}

function toNumber(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return null;
}
