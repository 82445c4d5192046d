import { bigint, char, timestamp } from "drizzle-orm/pg-core";

/** Internal surrogate key: never shown publicly (public references are sqids hash ids). */
export const id = () => bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity();
export const ref = (name: string) => bigint(name, { mode: "number" });
export const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
export const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/** An amount in integer minor units of its row's currency (won, cents); never a float. */
export const money = (name: string) => bigint(name, { mode: "number" }).notNull();
/** A running total in minor units, starting at zero. */
export const total = (name: string) => money(name).default(0);
/** ISO 4217 code, upper-case. */
export const currency = () => char("currency", { length: 3 }).notNull();
