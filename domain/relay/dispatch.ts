import type { CaptureOutcome } from "../capture/outcome.ts";
import { postbackMacros } from "./postback-template.ts";

/** Events a capture can fire; sales and refunds come from the order side. */
export type LeadRelayEvent = "lead_accepted" | "lead_restored";

/** A new lead is accepted; a restored one comes back after unsubscribing. Nothing else is relayed. */
export function relayEventFor(outcome: CaptureOutcome): LeadRelayEvent | null {
  if (outcome === "new") return "lead_accepted";
  if (outcome === "restored") return "lead_restored";
  return null;
}

export interface PartnerPostback {
  id: number;
  postbackUrl: string | null;
  postbackMethod: "redirect" | "get" | "post";
  postbackEvents: readonly string[];
  /** `{payout}` in minor units of `payoutCurrency`; both empty when no currency is set. */
  payout?: number;
  payoutCurrency?: string | null;
}

export interface RelayTargetConfig {
  id: number;
  url: string;
  method: string;
  /** Outgoing field name → lead value name (`email`, `first_name`, `utm_source`, `click_id`, …). */
  fieldMapping: Record<string, unknown>;
  /** Events forwarded to this buyer; all lead events when not given. */
  events?: readonly string[];
}

export interface PlannedRelayJob {
  kind: "postback" | "lead_relay";
  event: LeadRelayEvent;
  partnerId: number | null;
  relayTargetId: number | null;
  payload: Record<string, unknown>;
}

/** Replaces `{macro}` with its URL-encoded value; unknown macros stay as written so a typo is visible. */
export function expandPostbackUrl(template: string, macros: Record<string, string>): string {
  return template.replace(/\{([a-z0-9_]+)\}/gi, (whole, name: string) =>
    name in macros ? encodeURIComponent(macros[name] ?? "") : whole,
  );
}

export interface RelayPlanInput {
  outcome: CaptureOutcome;
  captureId: string;
  partner: PartnerPostback | null;
  targets: readonly RelayTargetConfig[];
  /** Everything a mapping or macro can name, already resolved for this capture. */
  values: Record<string, string | null>;
}

/**
 * Relay dispatch (pipeline stage 10), the plan: a postback when the partner has a URL and
 * listens to this event, and one lead relay per active buyer of the brand, each with its
 * payload resolved now. Redirect postbacks ride on the visitor's redirect at the edge,
 * so they get no server-side job.
 */
export function planRelayJobs(input: RelayPlanInput): PlannedRelayJob[] {
  const event = relayEventFor(input.outcome);
  if (event === null) return [];
  const jobs: PlannedRelayJob[] = [];
  const { partner } = input;
  if (
    partner?.postbackUrl &&
    partner.postbackMethod !== "redirect" &&
    partner.postbackEvents.includes(event)
  ) {
    const macros: Record<string, string> = {};
    for (const name of postbackMacros) macros[name] = input.values[name] ?? "";
    macros.event = event;
    macros.capture_id = input.captureId;
    if (partner.payoutCurrency) {
      macros.payout = String(partner.payout ?? 0);
      macros.currency = partner.payoutCurrency;
    }
    jobs.push({
      kind: "postback",
      event,
      partnerId: partner.id,
      relayTargetId: null,
      payload: {
        method: partner.postbackMethod,
        url: expandPostbackUrl(partner.postbackUrl, macros),
        macros,
      },
    });
  }
  for (const target of input.targets) {
    if (target.events && !target.events.includes(event)) continue;
    const body: Record<string, string | null> = {};
    for (const [outgoing, source] of Object.entries(target.fieldMapping)) {
      body[outgoing] = typeof source === "string" ? (input.values[source] ?? null) : null;
    }
    jobs.push({
      kind: "lead_relay",
      event,
      partnerId: null,
      relayTargetId: target.id,
      payload: { method: target.method, url: target.url, body },
    });
  }
  return jobs;
}
