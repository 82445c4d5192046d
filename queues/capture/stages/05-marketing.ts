import { sql } from "drizzle-orm";
import { header } from "../../../domain/crawler.ts";
import {
  type CaptureMarketing,
  marketingColumns,
  marketingParams,
  type PartnerParams,
} from "../../../domain/marketing.ts";
import type { CaptureMessage } from "../message.ts";
import { type Cte, recordset } from "../sql.ts";
import type { DecidedCapture } from "../types.ts";

/**
 * Stage 5, marketing parameters: utm_*, ad click ids, the partner's click and transaction
 * ids under the partner's own parameter names, sub ids, and the referrer.
 */
export function captureMarketing(message: CaptureMessage, partner: PartnerParams | null): CaptureMarketing {
  return marketingParams(
    {
      fields: message.request.fields,
      url: message.request.url,
      referrer: header(message.request.headers, "referer"),
    },
    partner,
  );
}

export function marketingInsert(captures: readonly DecidedCapture[]): Cte | null {
  if (captures.length === 0) return null;
  const rows = captures.map(({ message, marketing }) => ({
    capture_id: message.captureId,
    ...marketingColumns(marketing),
    extra: marketing.extra,
  }));
  const columns =
    "capture_id, utm_source, utm_medium, utm_campaign, utm_term, utm_content, gclid, fbclid, ttclid, msclkid, click_id, transaction_id, sub1, sub2, sub3, sub4, sub5, referrer, extra";
  return {
    name: "marketing",
    body: sql`INSERT INTO capture_marketing (${sql.raw(columns)})
      SELECT ${sql.raw(columns)}
      FROM ${recordset(
        rows,
        "capture_id uuid, utm_source text, utm_medium text, utm_campaign text, utm_term text, utm_content text, gclid text, fbclid text, ttclid text, msclkid text, click_id text, transaction_id text, sub1 text, sub2 text, sub3 text, sub4 text, sub5 text, referrer text, extra jsonb",
      )}`,
  };
}
