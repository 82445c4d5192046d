import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { createdAt, id } from "./common.ts";

/** API keys: only the SHA-256 of the secret is stored; `prefix` identifies a key in lists and logs. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: id(),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    keyHash: char("key_hash", { length: 64 }).notNull(),
    /** Brands this key may touch; `null` means every brand. */
    brandIds: bigint("brand_ids", { mode: "number" }).array(),
    isAdmin: boolean("is_admin").notNull().default(false),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("api_keys_key_hash_key").on(t.keyHash)],
);

/** Messages a queue gave up on (its dead-letter queue delivered them here), kept for replay. */
export const failedEvents = pgTable(
  "failed_events",
  {
    id: id(),
    queue: text("queue").notNull(),
    messageId: text("message_id").notNull(),
    body: jsonb("body").notNull(),
    attempts: integer("attempts").notNull(),
    error: text("error"),
    failedAt: timestamp("failed_at", { withTimezone: true }).notNull().defaultNow(),
    replayCount: integer("replay_count").notNull().default(0),
    replayedAt: timestamp("replayed_at", { withTimezone: true }),
    meta: jsonb("meta").notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [uniqueIndex("failed_events_queue_message_key").on(t.queue, t.messageId)],
);
