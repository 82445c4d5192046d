import type { Executor } from "../../db/client.ts";
import type { HashIds } from "./hash-ids.ts";
import type { Principal } from "./scope.ts";

/** What every verb gets besides its input: the database (or an open transaction), the caller, the id codec. */
export interface VerbContext {
  db: Executor;
  principal: Principal;
  ids: HashIds;
}

/** Keyset pagination: rows after an internal id, in id order. */
export interface PageInput {
  limit: number;
  /** Internal id of the last row of the previous page; `null` for the first page. */
  after: number | null;
}

export interface Page<T> {
  items: T[];
  /** Internal id to continue after, or `null` when this was the last page. */
  nextAfter: number | null;
}

/** Turns `limit + 1` fetched rows into a page: the extra row only says there is more. */
export function toPage<T extends { id: number }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextAfter: rows.length > limit && last ? last.id : null };
}
