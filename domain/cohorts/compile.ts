import { type SQL, sql } from "drizzle-orm";
import { rfmSegments } from "../../db/schema/rfm.ts";
import { pgArray } from "../../db/sql.ts";
import {
  type AcquisitionSourceValue,
  acquisitionSourceValues,
  type Condition,
  type Definition,
  isGroup,
  type Rule,
} from "./definition.ts";

/**
 * The cohort compiler, a pure function: a resolved definition (internal ids), the caller's brand scope and
 * `now` become ONE parameterised statement selecting the member account ids (`SELECT a.id …`). Every
 * value is a bind parameter; only aliases and operators are SQL text. Conditions on the account's own
 * columns stay predicates on `a`, the acquisition and RFM rows are LEFT JOINed by primary key only when
 * a condition reads them, and products, coupons, subscriptions and consents are correlated EXISTS
 * subqueries on their indexes (orders by account, order items by order, subscriptions by account,
 * consents by brand + contact + channel), so Postgres never joins a many-side and deduplicates.
 *
 * Groups use only AND and OR, so a NULL (no acquisition or RFM row, no order yet) makes a condition
 * false wherever it stands; only the complements (`not_in`, `has_not`) spell out what an absent row means:
 * a `not_in` matches exactly the accounts the `in` does not.
 */

export interface CompileScope {
  /** The brands the caller may see; `null` for every brand. */
  brandIds: readonly number[] | null;
}

export interface CompileOptions extends CompileScope {
  /** The instant "within the last N days" counts back from. */
  now: Date;
}

const dayMs = 86_400_000;

interface Needs {
  acquisition: boolean;
  rfm: boolean;
}

const bigintArray = (values: readonly number[]): SQL => sql`${pgArray(values)}::bigint[]`;
const textArray = (values: readonly string[]): SQL => sql`${pgArray(values)}::text[]`;
const at = (iso: string): SQL => sql`${new Date(iso).toISOString()}::timestamptz`;

/** equals / in / not_in on a column that is never NULL. */
function setOn(column: SQL, op: "equals" | "in" | "not_in", value: unknown, array: (v: never) => SQL): SQL {
  if (op === "equals") return sql`${column} = ${value}`;
  const values = array(value as never);
  return op === "in" ? sql`${column} = ANY(${values})` : sql`${column} <> ALL(${values})`;
}

type NumberOp = "equals" | "gt" | "gte" | "lt" | "lte" | "between";
const comparators: Record<Exclude<NumberOp, "between">, string> = {
  equals: "=",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
};

/** `left op right(value)`; `between` is inclusive. `right` turns a bound into its SQL. */
function compare(left: SQL, op: NumberOp, value: unknown, right: (bound: number) => SQL): SQL {
  if (op === "between") {
    const { min, max } = value as { min: number; max: number };
    return sql`${left} BETWEEN ${right(min)} AND ${right(max)}`;
  }
  return sql`${left} ${sql.raw(comparators[op])} ${right(value as number)}`;
}

function dateCondition(column: SQL, condition: Condition & { op: string }, now: Date): SQL {
  switch (condition.op) {
    case "before":
      return sql`${column} < ${at(condition.value as string)}`;
    case "after":
      return sql`${column} > ${at(condition.value as string)}`;
    case "between": {
      const { from, to } = condition.value as { from: string; to: string };
      return sql`${column} >= ${at(from)} AND ${column} < ${at(to)}`;
    }
    default: {
      const cutoff = new Date(now.getTime() - (condition.value as number) * dayMs);
      return sql`${column} >= ${cutoff.toISOString()}::timestamptz`;
    }
  }
}

/** The acquisition sources in `values`, as a predicate on `x` (no row: unclassified). */
function sourceIn(values: readonly AcquisitionSourceValue[]): SQL {
  const classified = acquisitionSourceValues.filter((v) => v !== "unclassified" && values.includes(v));
  const parts: SQL[] = [];
  if (classified.length === 1) parts.push(sql`x.source = ${classified[0]}`);
  else if (classified.length > 1)
    parts.push(sql`x.source = ANY(${pgArray(classified)}::acquisition_source[])`);
  if (values.includes("unclassified")) parts.push(sql`x.account_id IS NULL`);
  if (parts.length === 0) return sql`false`;
  return parts.length === 1 ? (parts[0] as SQL) : sql`(${sql.join(parts, sql` OR `)})`;
}

const ordersOf = sql`orders o WHERE o.account_id = a.id AND o.cancelled_at IS NULL`;

function exists(has: "has" | "has_not", subquery: SQL): SQL {
  return has === "has" ? sql`EXISTS (${subquery})` : sql`NOT EXISTS (${subquery})`;
}

function conditionSql(condition: Condition, now: Date, needs: Needs): SQL {
  switch (condition.field) {
    case "brand":
      return setOn(sql`a.brand_id`, condition.op, condition.value, bigintArray);
    case "market":
      return setOn(sql`a.market_id`, condition.op, condition.value, bigintArray);
    case "country": {
      const markets =
        condition.op === "equals"
          ? sql`SELECT mk.id FROM markets mk WHERE mk.country = ${condition.value}`
          : sql`SELECT mk.id FROM markets mk WHERE mk.country = ANY(${textArray(condition.value)})`;
      return condition.op === "not_in"
        ? sql`a.market_id NOT IN (${markets})`
        : sql`a.market_id IN (${markets})`;
    }
    case "acquisition_source": {
      needs.acquisition = true;
      if (condition.op === "equals") return sourceIn([condition.value]);
      const values = condition.value;
      return sourceIn(
        condition.op === "in" ? values : acquisitionSourceValues.filter((v) => !values.includes(v)),
      );
    }
    case "influencer":
      needs.acquisition = true;
      if (condition.op === "equals") return sql`x.influencer_id = ${condition.value}`;
      if (condition.op === "in") return sql`x.influencer_id = ANY(${bigintArray(condition.value)})`;
      return sql`(x.influencer_id IS NULL OR x.influencer_id <> ALL(${bigintArray(condition.value)}))`;
    case "first_order_at":
      return dateCondition(sql`a.first_order_at`, condition, now);
    case "last_order_at":
      return dateCondition(sql`a.last_order_at`, condition, now);
    case "order_count":
      return compare(sql`a.order_count`, condition.op, condition.value, (bound) => sql`${bound}`);
    case "total_spent":
      return sql`(a.currency = ${condition.currency} AND ${compare(
        sql`a.invoiced - a.credited`,
        condition.op,
        condition.value,
        (bound) => sql`${bound}::bigint`,
      )})`;
    case "average_order_value":
      // total / count op v, as total op v × count: exact, no division or rounding.
      return sql`(a.currency = ${condition.currency} AND a.order_count > 0 AND ${compare(
        sql`(a.invoiced - a.credited)::numeric`,
        condition.op,
        condition.value,
        (bound) => sql`${bound}::numeric * a.order_count`,
      )})`;
    case "r_score":
    case "f_score":
    case "m_score": {
      needs.rfm = true;
      const column = sql.raw(`s.${condition.field[0]}`);
      if (condition.op === "in") return sql`${column} = ANY(${pgArray(condition.value)}::int[])`;
      if (condition.op === "not_in")
        return sql`(s.account_id IS NULL OR ${column} <> ALL(${pgArray(condition.value)}::int[]))`;
      return compare(column, condition.op, condition.value, (bound) => sql`${bound}`);
    }
    case "rfm_segment": {
      needs.rfm = true;
      if (condition.op === "equals") return sql`s.segment = ${condition.value}::rfm_segment`;
      const values = condition.value;
      if (condition.op === "in") return sql`s.segment = ANY(${pgArray(values)}::rfm_segment[])`;
      const others = rfmSegments.filter((segment) => !values.includes(segment));
      return sql`(s.account_id IS NULL OR s.segment = ANY(${pgArray(others)}::rfm_segment[]))`;
    }
    case "product":
      return exists(
        condition.op,
        sql`SELECT 1 FROM ${ordersOf} AND EXISTS (SELECT 1 FROM order_items oi WHERE oi.order_id = o.id AND oi.product_id = ANY(${bigintArray(condition.value)}))`,
      );
    case "coupon": {
      const codes = [...new Set(condition.value.map((code) => code.trim().toUpperCase()))];
      return exists(
        condition.op,
        sql`SELECT 1 FROM ${ordersOf} AND EXISTS (SELECT 1 FROM order_coupons oc JOIN coupons c ON c.id = oc.coupon_id WHERE oc.order_id = o.id AND c.code = ANY(${textArray(codes)}))`,
      );
    }
    case "subscription_state":
      return exists(
        condition.op,
        sql`SELECT 1 FROM subscriptions sb WHERE sb.account_id = a.id AND sb.state = ANY(${pgArray(condition.value)}::subscription_state[])`,
      );
    case "consent":
      return exists(
        condition.op,
        sql`SELECT 1 FROM consents cs WHERE cs.brand_id = a.brand_id AND cs.contact_id = a.contact_id AND cs.channel = ${condition.value}::consent_channel AND cs.status = 'granted'`,
      );
  }
}

function ruleSql(rule: Rule, now: Date, needs: Needs): SQL {
  if (!isGroup(rule)) return conditionSql(rule, now, needs);
  const parts = rule.rules.map((child) => ruleSql(child, now, needs));
  return sql`(${sql.join(parts, rule.op === "and" ? sql` AND ` : sql` OR `)})`;
}

/** The predicate over `a` (brand_client_accounts) and the joins it needs. */
export function cohortPredicate(definition: Definition, options: CompileOptions): { joins: SQL; where: SQL } {
  const needs: Needs = { acquisition: false, rfm: false };
  const tree = ruleSql(definition, options.now, needs);
  const joins: SQL[] = [];
  if (needs.acquisition) joins.push(sql` LEFT JOIN account_acquisition x ON x.account_id = a.id`);
  if (needs.rfm) joins.push(sql` LEFT JOIN account_rfm s ON s.account_id = a.id`);
  const where =
    options.brandIds === null ? tree : sql`a.brand_id = ANY(${bigintArray(options.brandIds)}) AND ${tree}`;
  return { joins: sql.join(joins), where };
}

/** ONE statement selecting the member account ids (`id`) of `definition` within the scope. */
export function compileCohort(definition: Definition, options: CompileOptions): SQL {
  const { joins, where } = cohortPredicate(definition, options);
  return sql`SELECT a.id FROM brand_client_accounts a${joins} WHERE ${where}`;
}
