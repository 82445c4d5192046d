import type { AcquisitionSourceValue, Condition, Definition, Rule } from "./definition.ts";

/**
 * The reference evaluator: the meaning of the cohort language, written plainly in TypeScript over the
 * raw rows, sharing nothing with the SQL compiler. The property tests hold the compiler to it: for any
 * definition and any data, both give the same members. Slow by design (it scans), never used to serve.
 */

export interface ReferenceAccount {
  id: number;
  brandId: number;
  marketId: number;
  contactId: number;
  currency: string;
  invoiced: number;
  credited: number;
  orderCount: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
}

export interface ReferenceRows {
  accounts: readonly ReferenceAccount[];
  markets: readonly { id: number; country: string }[];
  acquisition: readonly {
    accountId: number;
    source: "organic" | "influencer";
    influencerId: number | null;
  }[];
  rfm: readonly { accountId: number; r: number; f: number; m: number; segment: string }[];
  orders: readonly { id: number; accountId: number; cancelledAt: Date | null }[];
  orderItems: readonly { orderId: number; productId: number }[];
  orderCoupons: readonly { orderId: number; couponId: number }[];
  coupons: readonly { id: number; code: string }[];
  subscriptions: readonly { accountId: number; state: string }[];
  consents: readonly { brandId: number; contactId: number; channel: string; status: string }[];
}

interface Facts {
  account: ReferenceAccount;
  country: string | undefined;
  source: AcquisitionSourceValue;
  influencerId: number | null;
  scores: { r: number; f: number; m: number; segment: string } | undefined;
  products: Set<number>;
  couponCodes: Set<string>;
  subscriptionStates: Set<string>;
  grantedChannels: Set<string>;
}

function numberMatches(actual: number, op: string, value: unknown): boolean {
  const v = value as number;
  switch (op) {
    case "equals":
      return actual === v;
    case "gt":
      return actual > v;
    case "gte":
      return actual >= v;
    case "lt":
      return actual < v;
    case "lte":
      return actual <= v;
    case "between": {
      const { min, max } = value as { min: number; max: number };
      return actual >= min && actual <= max;
    }
    case "in":
      return (value as number[]).includes(actual);
    case "not_in":
      return !(value as number[]).includes(actual);
    default:
      throw new Error(`unknown number op ${op}`);
  }
}

/** AOV compared as a fraction total / count against v, with exact integers. */
function averageMatches(total: bigint, count: bigint, op: string, value: unknown): boolean {
  const scaled = (v: number) => BigInt(v) * count;
  switch (op) {
    case "equals":
      return total === scaled(value as number);
    case "gt":
      return total > scaled(value as number);
    case "gte":
      return total >= scaled(value as number);
    case "lt":
      return total < scaled(value as number);
    case "lte":
      return total <= scaled(value as number);
    case "between": {
      const { min, max } = value as { min: number; max: number };
      return total >= scaled(min) && total <= scaled(max);
    }
    default:
      throw new Error(`unknown number op ${op}`);
  }
}

function dateMatches(actual: Date | null, condition: { op: string; value: unknown }, now: Date): boolean {
  if (actual === null) return false;
  const t = actual.getTime();
  switch (condition.op) {
    case "before":
      return t < Date.parse(condition.value as string);
    case "after":
      return t > Date.parse(condition.value as string);
    case "between": {
      const { from, to } = condition.value as { from: string; to: string };
      return t >= Date.parse(from) && t < Date.parse(to);
    }
    case "within_last_days":
      return t >= now.getTime() - (condition.value as number) * 24 * 60 * 60 * 1000;
    default:
      throw new Error(`unknown date op ${condition.op}`);
  }
}

function setMatches<T>(actual: T, op: string, value: unknown): boolean {
  if (op === "equals") return actual === value;
  const found = (value as T[]).includes(actual);
  return op === "in" ? found : !found;
}

function conditionMatches(facts: Facts, condition: Condition, now: Date): boolean {
  const { account } = facts;
  switch (condition.field) {
    case "brand":
      return setMatches(account.brandId, condition.op, condition.value);
    case "market":
      return setMatches(account.marketId, condition.op, condition.value);
    case "country":
      return facts.country !== undefined && setMatches(facts.country, condition.op, condition.value);
    case "acquisition_source":
      return setMatches(facts.source, condition.op, condition.value);
    case "influencer":
      if (facts.influencerId === null) return condition.op === "not_in";
      return setMatches(facts.influencerId, condition.op, condition.value);
    case "first_order_at":
      return dateMatches(account.firstOrderAt, condition, now);
    case "last_order_at":
      return dateMatches(account.lastOrderAt, condition, now);
    case "order_count":
      return numberMatches(account.orderCount, condition.op, condition.value);
    case "total_spent":
      return (
        account.currency === condition.currency &&
        numberMatches(account.invoiced - account.credited, condition.op, condition.value)
      );
    case "average_order_value":
      return (
        account.currency === condition.currency &&
        account.orderCount > 0 &&
        averageMatches(
          BigInt(account.invoiced - account.credited),
          BigInt(account.orderCount),
          condition.op,
          condition.value,
        )
      );
    case "r_score":
    case "f_score":
    case "m_score": {
      if (facts.scores === undefined) return condition.op === "not_in";
      const score =
        condition.field === "r_score"
          ? facts.scores.r
          : condition.field === "f_score"
            ? facts.scores.f
            : facts.scores.m;
      return numberMatches(score, condition.op, condition.value);
    }
    case "rfm_segment":
      if (facts.scores === undefined) return condition.op === "not_in";
      return setMatches(facts.scores.segment, condition.op, condition.value);
    case "product": {
      const any = condition.value.some((id) => facts.products.has(id));
      return condition.op === "has" ? any : !any;
    }
    case "coupon": {
      const any = condition.value.some((code) => facts.couponCodes.has(code.trim().toUpperCase()));
      return condition.op === "has" ? any : !any;
    }
    case "subscription_state": {
      const any = condition.value.some((state) => facts.subscriptionStates.has(state));
      return condition.op === "has" ? any : !any;
    }
    case "consent": {
      const granted = facts.grantedChannels.has(condition.value);
      return condition.op === "has" ? granted : !granted;
    }
  }
}

function ruleMatches(facts: Facts, rule: Rule, now: Date): boolean {
  if ("rules" in rule) {
    return rule.op === "and"
      ? rule.rules.every((child) => ruleMatches(facts, child, now))
      : rule.rules.some((child) => ruleMatches(facts, child, now));
  }
  return conditionMatches(facts, rule, now);
}

/** The member account ids of `definition` among `rows`, within `brandIds` (null: all), ascending. */
export function referenceMembers(
  definition: Definition,
  rows: ReferenceRows,
  options: { brandIds: readonly number[] | null; now: Date },
): number[] {
  const members: number[] = [];
  for (const account of rows.accounts) {
    if (options.brandIds !== null && !options.brandIds.includes(account.brandId)) continue;
    const acquisition = rows.acquisition.find((row) => row.accountId === account.id);
    // An order counts for what was bought with it unless it was cancelled.
    const orderIds = new Set(
      rows.orders.filter((o) => o.accountId === account.id && o.cancelledAt === null).map((o) => o.id),
    );
    const couponIds = new Set(
      rows.orderCoupons.filter((oc) => orderIds.has(oc.orderId)).map((oc) => oc.couponId),
    );
    const facts: Facts = {
      account,
      country: rows.markets.find((market) => market.id === account.marketId)?.country,
      source: acquisition?.source ?? "unclassified",
      influencerId: acquisition?.influencerId ?? null,
      scores: rows.rfm.find((row) => row.accountId === account.id),
      products: new Set(
        rows.orderItems.filter((item) => orderIds.has(item.orderId)).map((item) => item.productId),
      ),
      couponCodes: new Set(
        rows.coupons.filter((coupon) => couponIds.has(coupon.id)).map((coupon) => coupon.code),
      ),
      subscriptionStates: new Set(
        rows.subscriptions.filter((s) => s.accountId === account.id).map((s) => s.state),
      ),
      grantedChannels: new Set(
        rows.consents
          .filter(
            (c) =>
              c.brandId === account.brandId && c.contactId === account.contactId && c.status === "granted",
          )
          .map((c) => c.channel),
      ),
    };
    if (ruleMatches(facts, definition, options.now)) members.push(account.id);
  }
  return members.sort((a, b) => a - b);
}
