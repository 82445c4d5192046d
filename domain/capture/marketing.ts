import { truncateText } from "../core/text.ts";
/** One `capture_marketing` row. */
export interface CaptureMarketing {
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
  gclid: string | null;
  fbclid: string | null;
  ttclid: string | null;
  msclkid: string | null;
  /** The affiliate network's click id, read from the partner's own parameter name. */
  clickId: string | null;
  transactionId: string | null;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
  referrer: string | null;
  /** Other recognised tracking parameters, by name. */
  extra: Record<string, string>;
}

/** The parameter names a partner's network uses on the landing URL. */
export interface PartnerParams {
  clickIdParam: string;
  transactionIdParam: string;
}

export const defaultPartnerParams: PartnerParams = {
  clickIdParam: "click_id",
  transactionIdParam: "transaction_id",
};

/**
 * Tracking parameters worth keeping beyond the named columns: Google's iOS and web-to-app
 * click ids, other ad networks' click ids, Naver search ads, newer utm_* parameters.
 */
export const extraTrackingParams = [
  "wbraid",
  "gbraid",
  "dclid",
  "gclsrc",
  "li_fat_id",
  "twclid",
  "ScCid",
  "epik",
  "irclickid",
  "yclid",
  "igshid",
  "mc_cid",
  "mc_eid",
  "utm_id",
  "utm_source_platform",
  "utm_creative_format",
  "utm_marketing_tactic",
  "n_media",
  "n_query",
  "n_rank",
  "n_ad_group",
  "n_ad",
  "n_keyword_id",
  "n_keyword",
  "n_campaign_type",
  "NaPm",
  // The send of a tracked message link (`/m/:token` adds it): the funnel's `visited` stage reads it.
  "lr_m",
] as const;

export const maxParamLength = 512;

/** The named parameters of a capture, as the stored row or the pipeline holds them. */
export type NamedMarketing = Omit<CaptureMarketing, "extra">;

/**
 * The named parameters under their public names: the `capture_marketing` columns, the API's
 * fields and the relay macros all spell them this way (`utm_source`, `click_id`, `sub1`, …).
 */
export function marketingColumns(m: NamedMarketing) {
  return {
    utm_source: m.utmSource,
    utm_medium: m.utmMedium,
    utm_campaign: m.utmCampaign,
    utm_term: m.utmTerm,
    utm_content: m.utmContent,
    gclid: m.gclid,
    fbclid: m.fbclid,
    ttclid: m.ttclid,
    msclkid: m.msclkid,
    click_id: m.clickId,
    transaction_id: m.transactionId,
    sub1: m.sub1,
    sub2: m.sub2,
    sub3: m.sub3,
    sub4: m.sub4,
    sub5: m.sub5,
    referrer: m.referrer,
  };
}

export interface MarketingSource {
  /** Submitted fields: the query string merged with the body. */
  fields: Record<string, string>;
  /** The landing URL as requested: parameters the edge did not copy into fields are still here. */
  url: string;
  referrer: string | null;
}

/** Marketing parameters (pipeline stage 5): utm_*, ad click ids, the partner's click and transaction ids, sub ids. */
export function marketingParams(source: MarketingSource, partner: PartnerParams | null): CaptureMarketing {
  const query = parseQuery(source.url);
  const read = (...names: string[]): string | null => {
    for (const name of names) {
      const value = source.fields[name] ?? query.get(name);
      if (value !== undefined && value !== null) {
        const trimmed = value.trim();
        if (trimmed !== "") return truncateText(trimmed, maxParamLength);
      }
    }
    return null;
  };
  const params = partner ?? defaultPartnerParams;
  const extra: Record<string, string> = {};
  for (const name of extraTrackingParams) {
    const value = read(name);
    if (value !== null) extra[name] = value;
  }
  const referrer = source.referrer?.trim();
  return {
    utmSource: read("utm_source"),
    utmMedium: read("utm_medium"),
    utmCampaign: read("utm_campaign"),
    utmTerm: read("utm_term"),
    utmContent: read("utm_content"),
    gclid: read("gclid"),
    fbclid: read("fbclid"),
    ttclid: read("ttclid"),
    msclkid: read("msclkid"),
    clickId: read(params.clickIdParam),
    transactionId: read(params.transactionIdParam),
    sub1: read("sub1", "aff_sub"),
    sub2: read("sub2", "aff_sub2"),
    sub3: read("sub3", "aff_sub3"),
    sub4: read("sub4", "aff_sub4"),
    sub5: read("sub5", "aff_sub5"),
    referrer: referrer ? truncateText(referrer, 2048) : null,
    extra,
  };
}

function parseQuery(url: string): URLSearchParams {
  try {
    return new URL(url).searchParams;
  } catch {
    return new URLSearchParams();
  }
}
