import type { CaptureOutcome } from "../capture/outcome.ts";
import { type PostbackValues, postbackValues } from "./postback-template.ts";
import { leadValueNames } from "./targets.ts";

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
  /** Minor units of `payoutCurrency`; `{payout}` and `{currency}` stay empty when no currency is set. */
  payout?: number;
  payoutCurrency?: string | null;
}

export interface RelayTargetConfig {
  id: number;
  /** Events forwarded to this buyer; all lead events when not given. */
  events?: readonly string[];
}

/** A lead relay's values: every lead value a buyer's field mapping may name, as the capture had it. */
export type LeadRelayValues = Record<string, string | null>;

export interface PlannedRelayJob {
  kind: "postback" | "lead_relay";
  event: LeadRelayEvent;
  partnerId: number | null;
  relayTargetId: number | null;
  /**
   * What the job is made with and keeps: a postback's values, a lead relay's lead values. The URL,
   * method, body type and field mapping are the recipient's own at each attempt (domain/relay/delivery.ts).
   */
  values: PostbackValues | LeadRelayValues;
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
 * Relay dispatch (pipeline stage 10), the plan: a postback when the partner has a URL and listens to
 * this event, and one lead relay per active buyer of the brand that takes it, each keeping the values
 * it is made with. Redirect postbacks ride on the visitor's redirect at the edge, so they get no
 * server-side job.
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
    jobs.push({
      kind: "postback",
      event,
      partnerId: partner.id,
      relayTargetId: null,
      values: postbackValues({
        event,
        captureId: input.captureId,
        marketing: input.values,
        payout: partner.payout,
        currency: partner.payoutCurrency,
      }),
    });
  }
  const targets = input.targets.filter((target) => !target.events || target.events.includes(event));
  if (targets.length > 0) {
    const lead: LeadRelayValues = {};
    for (const name of leadValueNames) {
      const value = input.values[name];
      if (value !== undefined && value !== null) lead[name] = value;
    }
    for (const target of targets)
      jobs.push({ kind: "lead_relay", event, partnerId: null, relayTargetId: target.id, values: lead });
  }
  return jobs;
}

/**
 * A lead relay's fields: each outgoing name of the buyer's current field mapping with the lead value it
 * names (`null` when the lead had none, or the mapping entry is not a name).
 */
export function mappedLeadFields(fieldMapping: unknown, values: unknown): Record<string, string | null> {
  const mapping =
    fieldMapping !== null && typeof fieldMapping === "object" && !Array.isArray(fieldMapping)
      ? (fieldMapping as Record<string, unknown>)
      : {};
  const lead =
    values !== null && typeof values === "object" && !Array.isArray(values)
      ? (values as Record<string, unknown>)
      : {};
  const fields: Record<string, string | null> = {};
  for (const [outgoing, source] of Object.entries(mapping)) {
    const value = typeof source === "string" && Object.hasOwn(lead, source) ? lead[source] : null;
    fields[outgoing] = typeof value === "string" ? value : null;
  }
  return fields;
}
