import { type SQL, sql } from "drizzle-orm";
import { Conflict } from "../core/errors.ts";

/**
 * Variant assignment (SPEC §12), deterministic and reproducible in SQL:
 *
 *   bucket = uint32(first 8 hex digits of sha256("<experiment key>:<customer id>")) mod 10000
 *
 * Arms (variants, the control and the holdout) take contiguous bucket ranges in their declared order, sized by
 * their integer weights. The README of this folder has the SQL that computes the same bucket in Postgres.
 */

/** Buckets are 0 … 9,999. */
export const bucketCount = 10_000;

export type ArmRole = "control" | "variant" | "holdout";

export interface ArmDesign {
  /** Unique within the experiment; what results and assignments name. */
  name: string;
  role: ArmRole;
  /** A positive integer; shares are weight / Σ weights. */
  weight: number;
}

/** The buckets `[from, to)` of one arm. */
export interface ArmRange {
  arm: string;
  role: ArmRole;
  from: number;
  to: number;
}

export type ExperimentStatus = "draft" | "running" | "paused" | "completed";

const encoder = new TextEncoder();

/** What is hashed: the experiment key, a colon, the customer id in its decimal or text form. */
export function assignmentInput(experimentKey: string, customerId: string | number | bigint): string {
  if (typeof customerId === "number" && !Number.isSafeInteger(customerId))
    throw new RangeError(`customerId must be a safe integer or a string, not ${customerId}`);
  return `${experimentKey}:${String(customerId)}`;
}

/**
 * The bucket of a customer in an experiment: the first four bytes of SHA-256 of the UTF-8 of
 * `"<key>:<id>"`, read as an unsigned big-endian 32-bit integer, mod 10,000. Web Crypto, so the same in
 * workerd and Node.
 */
export async function bucket(experimentKey: string, customerId: string | number | bigint): Promise<number> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    encoder.encode(assignmentInput(experimentKey, customerId)),
  );
  return new DataView(digest).getUint32(0, false) % bucketCount;
}

/**
 * The same bucket in Postgres, for set-based assignment: `key` and `customerId` are SQL expressions (a bound
 * parameter or a column); a non-text id is cast by `||` to its text form (a bigint to its decimal digits, as
 * `String()` writes it). test/workers/experiment-buckets.test.ts checks it against {@link bucket}.
 */
export function bucketSql(key: SQL | string, customerId: SQL): SQL {
  return sql`(('x' || substr(encode(sha256(convert_to(${key}::text || ':' || ${customerId}::text, 'UTF8')), 'hex'), 1, 8))::bit(32)::bigint % ${sql.raw(String(bucketCount))})::int`;
}

/** The arm of a bucket in SQL: a `CASE` over the ranges' upper ends, in order (the ranges cover 0–9,999). */
export function armSql(ranges: readonly ArmRange[], bucketExpression: SQL): SQL {
  const branches = ranges.map(
    (range) => sql` WHEN ${bucketExpression} < ${sql.raw(String(range.to))} THEN ${range.arm}::text`,
  );
  return sql`(CASE${sql.join(branches, sql``)} END)`;
}

/**
 * The bucket ranges of the arms, contiguous from 0 in declared order. Each arm gets ⌊10000 · w / Σw⌋ buckets;
 * the buckets left over (fewer than the number of arms) go one each to the arms with the largest remainders
 * `10000 · w mod Σw`, equal remainders in declared order (largest-remainder rule). When Σw divides 10,000
 * (weights in percent or in basis points) nothing is left over. Refuses an empty list, duplicate names, a
 * weight that is not a positive integer, Σw above 10,000 (some arm could get no bucket), and anything but
 * exactly one control, at least one variant and at most one holdout.
 */
export function armRanges(arms: readonly ArmDesign[]): ArmRange[] {
  checkArms(arms);
  const total = arms.reduce((sum, arm) => sum + arm.weight, 0);
  const sizes = arms.map((arm) => Math.floor((bucketCount * arm.weight) / total));
  let left = bucketCount - sizes.reduce((sum, size) => sum + size, 0);
  const byRemainder = arms
    .map((arm, index) => ({ index, remainder: (bucketCount * arm.weight) % total }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (left === 0) break;
    sizes[index] = (sizes[index] ?? 0) + 1;
    left -= 1;
  }
  let from = 0;
  return arms.map((arm, index) => {
    const to = from + (sizes[index] ?? 0);
    const range = { arm: arm.name, role: arm.role, from, to };
    from = to;
    return range;
  });
}

function checkArms(arms: readonly ArmDesign[]): void {
  if (arms.length < 2) throw new RangeError("an experiment needs a control and at least one variant");
  const names = new Set<string>();
  for (const arm of arms) {
    if (arm.name.length === 0) throw new RangeError("an arm needs a name");
    if (names.has(arm.name)) throw new RangeError(`arm names must be unique: "${arm.name}" appears twice`);
    names.add(arm.name);
    if (!Number.isSafeInteger(arm.weight) || arm.weight < 1)
      throw new RangeError(`the weight of "${arm.name}" must be a positive integer, not ${arm.weight}`);
  }
  const total = arms.reduce((sum, arm) => sum + arm.weight, 0);
  if (total > bucketCount)
    throw new RangeError(`the weights must sum to at most ${bucketCount}, not ${total}`);
  const count = (role: ArmRole) => arms.filter((arm) => arm.role === role).length;
  if (count("control") !== 1)
    throw new RangeError(`an experiment has exactly one control, not ${count("control")}`);
  if (count("variant") < 1) throw new RangeError("an experiment needs at least one variant");
  if (count("holdout") > 1)
    throw new RangeError(`an experiment has at most one holdout, not ${count("holdout")}`);
}

/** The arm whose range holds `value` (an integer bucket 0 … 9,999). */
export function armOf(value: number, ranges: readonly ArmRange[]): ArmRange {
  if (!Number.isInteger(value) || value < 0 || value >= bucketCount)
    throw new RangeError(`a bucket is an integer from 0 to ${bucketCount - 1}, not ${value}`);
  const range = ranges.find((candidate) => value >= candidate.from && value < candidate.to);
  if (!range)
    throw new RangeError(`no arm holds bucket ${value}: the ranges do not cover 0–${bucketCount - 1}`);
  return range;
}

/** The design that fixes who gets which arm: the key and the arms in order, with their weights. */
export interface AssignmentDesign {
  key: string;
  arms: readonly ArmDesign[];
}

/**
 * Why `next` may not replace `current`, or `[]` when it may. Only a draft may change how customers are
 * assigned: once an experiment has started (running, paused or completed) customers already hold buckets and
 * arms, and a change of the key, of the arms (names, roles, order) or of any weight would move some of them to
 * another arm and break both the experiment and its sample-ratio check. Field names follow the design's shape.
 */
export function assignmentChanges(
  current: AssignmentDesign,
  next: AssignmentDesign,
  status: ExperimentStatus,
): { field: string; message: string }[] {
  if (status === "draft") return [];
  const changes: { field: string; message: string }[] = [];
  const why = `cannot change once the experiment is ${status}: customers already hold their arms`;
  if (current.key !== next.key) changes.push({ field: "key", message: `the experiment key ${why}` });
  if (current.arms.length !== next.arms.length) {
    changes.push({
      field: "arms",
      message: `the arms ${why} (${current.arms.length} → ${next.arms.length})`,
    });
    return changes;
  }
  current.arms.forEach((arm, index) => {
    const other = next.arms[index];
    if (!other) return;
    if (arm.name !== other.name || arm.role !== other.role)
      changes.push({ field: `arms.${index}`, message: `arm ${index} ${why} (${arm.name} → ${other.name})` });
    if (arm.weight !== other.weight)
      changes.push({
        field: `arms.${index}.weight`,
        message: `the weight of "${arm.name}" ${why} (${arm.weight} → ${other.weight})`,
      });
  });
  return changes;
}

/** Throws a {@link Conflict} naming every changed field when `next` may not replace `current` (see {@link assignmentChanges}). */
export function assertAssignmentUnchanged(
  current: AssignmentDesign,
  next: AssignmentDesign,
  status: ExperimentStatus,
): void {
  const changes = assignmentChanges(current, next, status);
  if (changes.length > 0)
    throw new Conflict(
      `The assignment of a ${status} experiment cannot change.`,
      changes.map((change) => ({ ...change, category: "conflict" })),
    );
}
