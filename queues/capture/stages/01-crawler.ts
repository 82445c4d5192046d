import { type CrawlerVerdict, crawlerSignals, detectCrawler } from "../../../domain/capture/crawler.ts";
import type { CaptureMessage } from "../message.ts";

/**
 * Stage 1, crawler detection: user agent (isbot with the in-app allow rule), Cloudflare's
 * verified-bot flag and bot score, and data-centre networks. A bot capture is stored with
 * outcome `bot` and never becomes a contact.
 */
export function detectCaptureCrawler(message: CaptureMessage): CrawlerVerdict {
  return detectCrawler(crawlerSignals(message.request.headers, message.cf));
}
