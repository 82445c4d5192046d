import { detectCrawler } from "../capture/crawler.ts";

/**
 * Whether a request for a tracked link (`/m/:token`) was made by a machine: a link preview (KakaoTalk's
 * `kakaotalk-scrap`, Facebook's `facebookexternalhit`, Slack, iMessage), a crawler, or a request without a
 * user agent. The capture pipeline's user-agent rule decides (isbot, with its allow rule for real in-app
 * browsers such as KakaoTalk's own web view), then Cloudflare's verified-bot flag. The bot score and the
 * data-centre networks are left out on purpose: a preview fetch already says what it is, and a person behind
 * a corporate or cloud proxy clicking a message is still a click. A bot request counts as opened, not clicked.
 */
export function isBotClick(userAgent: string | null, cf: unknown): boolean {
  return detectCrawler({ userAgent, botScore: null, verifiedBot: verifiedBot(cf), asn: null }).isBot;
}

function verifiedBot(cf: unknown): boolean {
  if (cf === null || typeof cf !== "object") return false;
  const source = cf as Record<string, unknown>;
  const category = source.verifiedBotCategory;
  if (typeof category === "string" && category.length > 0) return true;
  const management = source.botManagement;
  return (
    management !== null &&
    typeof management === "object" &&
    (management as Record<string, unknown>).verifiedBot === true
  );
}
