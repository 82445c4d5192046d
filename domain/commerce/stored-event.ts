import type { z } from "zod";
import type { Database, Transaction } from "../../db/client.ts";
import type { HashIds } from "../core/hash-ids.ts";
import type { CommerceEventStatus, CommerceEventType } from "./event-types.ts";

/** An event as the appliers get it: stored (it has its row id) and with the store's brand and market. */
export interface StoredCommerceEvent {
  id: number;
  storeId: number;
  brandId: number;
  /** The store's platform (`cafe24`, `shopify`, or the slug a normalised sender's store was registered with). */
  platform: string;
  marketCode: string;
  platformEventId: string;
  type: CommerceEventType;
  occurredAt: string;
  orderExternalId: string | null;
  /**
   * The event's data: as received when it arrived in this batch, else as stored (emails hashed). Each
   * applier parses it with its type's schema.
   */
  data: unknown;
}

/** What an applier decided for one event; `error` says why it is pending, unapplied or failed. */
export interface ApplyOutcome {
  id: number;
  status: CommerceEventStatus;
  orderId?: number | null;
  error?: string | null;
  /**
   * Set on an event the applier was not given: one stored earlier, `pending`, that what it was given let it
   * apply now (a product event that waited for its product's SKU). Counted as released, not as this batch's.
   */
  released?: boolean;
}

export interface ApplyContext {
  tx: Transaction;
  ids: HashIds;
  /** Sale postback jobs the ledger made, for the caller to send to the relay queue after COMMIT. */
  relayJobIds: number[];
  /**
   * Emails whose brand relationships an applier created or moved, for the caller to refresh in the KV
   * knowledge index after COMMIT (the edge routes a member's email as a known contact of the brand).
   */
  refreshEmailIds: number[];
}

/**
 * Acts on the stored events of one type inside the caller's transaction, returning one outcome per event.
 * A refusal of one event (its order does not validate) is its outcome (`failed`); a database error is
 * thrown, and the batch is retried.
 */
export interface CommerceApplier {
  apply(ctx: ApplyContext, events: readonly StoredCommerceEvent[]): Promise<ApplyOutcome[]>;
}

/** The ledger verbs take the database handle; inside a transaction, theirs nests as a savepoint. */
export const nestedDatabase = (tx: Transaction): Database => tx as unknown as Database;

/**
 * The event's data in its type's shape, or the `failed` outcome saying why not: data re-read from a stored
 * payload lacks what was left out of it (an order's customer, an email).
 */
export function dataOf<T>(
  schema: z.ZodType<T>,
  event: StoredCommerceEvent,
): { data: T; outcome?: undefined } | { data?: undefined; outcome: ApplyOutcome } {
  const parsed = schema.safeParse(event.data);
  if (parsed.success) return { data: parsed.data };
  const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "data").join(", ");
  return { outcome: { id: event.id, status: "failed", error: `The data cannot be applied (${fields}).` } };
}
