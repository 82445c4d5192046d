import { sql } from "drizzle-orm";
import { check, date, integer, pgTable, primaryKey, smallint, timestamp } from "drizzle-orm/pg-core";
import { brands } from "./catalog.ts";
import { currency, money, ref } from "./common.ts";

/**
 * The R×F heatmap's stored aggregate (domain/rfm): per brand, currency and (R, F) cell that holds at least
 * one scored account, how many and Σ their monetary values. Written by the same statement that writes
 * `account_rfm`, so the two always agree; `GET /api/v1/rfm/heatmap` reads at most 25 rows of it, whatever
 * the number of accounts.
 */
export const rfmCells = pgTable(
  "rfm_cells",
  {
    brandId: ref("brand_id")
      .notNull()
      .references(() => brands.id),
    currency: currency(),
    r: smallint("r").notNull(),
    f: smallint("f").notNull(),
    /** The run date, as `account_rfm.as_of`. */
    asOf: date("as_of", { mode: "string" }).notNull(),
    accounts: integer("accounts").notNull(),
    /** Σ `account_rfm.monetary` of the cell's accounts, in minor units of `currency`. */
    monetary: money("monetary"),
    computedAt: timestamp("computed_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.brandId, t.currency, t.r, t.f] }),
    check("rfm_cells_cell", sql`${t.r} BETWEEN 1 AND 5 AND ${t.f} BETWEEN 1 AND 5`),
    check("rfm_cells_values", sql`${t.accounts} > 0 AND ${t.monetary} >= 0`),
  ],
);
