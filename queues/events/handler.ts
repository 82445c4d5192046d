import type { PoolClient } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-serverless";
import type { z } from "zod";
import { type Database, type DbHandle, type Executor, openDb, type Transaction } from "../../db/client.ts";
import { withCtes } from "../../db/sql.ts";
import { refreshKnowledge } from "../../domain/contacts/knowledge-index.ts";
import { hashIds } from "../../domain/core/hash-ids.ts";
import { truncateText } from "../../domain/core/text.ts";
import { dbConfig, type Env, edgeConfig } from "../../domain/platform/env.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { enqueueLedgerRelays } from "../../domain/relay/ledger-relays.ts";
import { commitWithFallback, consumerConfig, describeError, retryDelaySeconds } from "../capture/failure.ts";
import { type FailedEventRecord, failedEventsInsert } from "../dead-letter/store.ts";
import { clickPart } from "./click.ts";
import { commerceEventMessage, storeCommerceEvents } from "./commerce.ts";
import { conversionPart } from "./conversion.ts";
import { emailEventsMessageSchema, refreshEmailKnowledge, storeEmailEvents } from "./email.ts";
import { forwardToGa4, type Ga4ForwardReport } from "./ga4.ts";
import { optOutPart, receiptPart } from "./messaging.ts";
import { trackerPart } from "./tracker.ts";

/**
 * One kind of message on the events queue, chosen by the body's `type`: how to parse it, how to store a
 * batch's messages of that kind inside the dispatcher's transaction, and what to do after COMMIT.
 */
export interface EventsPart {
  schema: z.ZodType<unknown>;
  /** Runs in the batch's transaction with a fixed number of statements; returns counts for the log line. */
  store(tx: Transaction, messages: unknown[], env: Env): Promise<StoredPart>;
  /**
   * Set when `store` sends exactly one statement and no other: a batch holding only this part's messages
   * (no poison) then runs that statement on its own, atomic without BEGIN and COMMIT — two round trips
   * fewer, which for a batch of tracker beacons is a third of its time in the consumer.
   */
  storeAlone?: (db: Executor, messages: unknown[], env: Env) => Promise<StoredPart>;
}

export interface StoredPart {
  counts: Record<string, number>;
  /** Side effects once the transaction committed (e.g. the KV knowledge index); a failure retries the messages. */
  afterCommit?: (db: Executor, env: Env) => Promise<void>;
}

/** A part from a schema and a store function of the messages that schema parsed. */
export function eventsPart<T>(
  schema: z.ZodType<T>,
  store: (tx: Transaction, messages: T[], env: Env) => Promise<StoredPart>,
): EventsPart {
  // The dispatcher hands `store` only bodies `schema` parsed.
  return { schema, store: (tx, messages, env) => store(tx, messages as T[], env) };
}

/** A part whose store function sends exactly one statement: see {@link EventsPart.storeAlone}. */
export function singleStatementPart<T>(
  schema: z.ZodType<T>,
  store: (db: Executor, messages: T[], env: Env) => Promise<StoredPart>,
): EventsPart {
  const alone = (db: Executor, messages: unknown[], env: Env) => store(db, messages as T[], env);
  return { schema, store: alone, storeAlone: alone };
}

/**
 * The consumer parts by message `type`. Registering another kind is one line here, as the inbound
 * conversions (queues/events/conversion.ts) are: `<type>: eventsPart(<zod schema>, <store function>),`.
 */
const parts: Record<string, EventsPart> = {
  commerce: eventsPart(commerceEventMessage, async (tx, messages, env) => {
    const { relayJobIds, refreshEmailIds, ...counts } = await storeCommerceEvents(
      tx,
      messages,
      hashIds(edgeConfig(env).SQIDS_ALPHABET),
    );
    if (counts.unknownStores > 0)
      console.error(JSON.stringify({ event: "events.commerce_unknown_store", count: counts.unknownStores }));
    const emailIds = [...new Set(refreshEmailIds)];
    return {
      counts: { ...counts, relayJobs: relayJobIds.length, knowledgeRefreshed: emailIds.length },
      afterCommit: async (db, workerEnv) => {
        await enqueueLedgerRelays(workerEnv.RELAYS_QUEUE, relayJobIds);
        if (emailIds.length > 0) await refreshKnowledge(db, workerEnv.KNOWLEDGE, emailIds);
      },
    };
  }),
  conversion: eventsPart(conversionPart.schema, conversionPart.store),
  "message.click": eventsPart(clickPart.schema, clickPart.store),
  "message.receipt": eventsPart(receiptPart.schema, receiptPart.store),
  "message.optout": eventsPart(optOutPart.schema, optOutPart.store),
  tracker: singleStatementPart(trackerPart.schema, trackerPart.store),
  email: eventsPart(emailEventsMessageSchema, async (tx, messages) => {
    const result = await storeEmailEvents(tx, messages);
    const { refreshEmailIds, ...counts } = result;
    return {
      counts: { ...counts, knowledgeRefreshed: refreshEmailIds.length },
      afterCommit: async (db, env) => {
        await refreshEmailKnowledge(db, env.KNOWLEDGE, result);
      },
    };
  }),
};

/** Forwarding stored tracker events to GA4 (queues/events/ga4.ts), sent by the `tracker` part after COMMIT. */
const ga4ForwardType = "tracker.ga4";

/** A message parsed for its part, or one that no part accepts (kept in failed_events). */
type Unit =
  | { kind: "part"; type: string; body: unknown; message: Message<unknown> }
  | { kind: "poison"; record: FailedEventRecord; message: Message<unknown> };

function typeOf(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("type" in body)) return null;
  return typeof body.type === "string" ? body.type : null;
}

function classify(message: Message<unknown>): Unit {
  const type = typeOf(message.body);
  const part = type === null ? undefined : parts[type];
  const poison = (meta: Record<string, unknown>): Unit => ({
    kind: "poison",
    message,
    record: {
      queue: queueNames.events,
      messageId: message.id,
      body: message.body,
      attempts: message.attempts,
      error: "invalid_message",
      meta,
    },
  });
  if (type === null || part === undefined)
    return poison({ type: type === null ? null : truncateText(type, 64) });
  const parsed = part.schema.safeParse(message.body);
  if (!parsed.success) {
    // Paths and codes only: the issue messages can quote submitted values (addresses).
    return poison({
      type,
      issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), code: i.code })),
    });
  }
  return { kind: "part", type, body: parsed.data, message };
}

/** What one batch did; returned for tests and the benchmark, logged as one JSON line. */
export interface EventsBatchReport {
  messages: number;
  poison: number;
  acked: number;
  retried: number;
  /** Per part: its counts, summed over the batch. */
  parts: Record<string, Record<string, number>>;
  /** Statements sent to Postgres (BEGIN and COMMIT included). */
  statements: number;
  /** True when the whole-batch transaction failed and messages ran one by one. */
  fallback: boolean;
  /** What the batch's `tracker.ga4` messages did (outbound HTTP, outside the transaction); null without any. */
  ga4: Ga4ForwardReport | null;
  ms: number;
}

function log(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ event, ...fields }));
}

interface Committed {
  units: readonly Unit[];
  afterCommit: ((db: Executor, env: Env) => Promise<void>)[];
}

/** One transaction over `units`: each part's messages stored together, poison kept in failed_events. */
async function commit(
  db: Database,
  env: Env,
  units: readonly Unit[],
  report: EventsBatchReport,
): Promise<Committed> {
  const byType = new Map<string, unknown[]>();
  const poison: FailedEventRecord[] = [];
  for (const unit of units) {
    if (unit.kind === "poison") {
      poison.push(unit.record);
      continue;
    }
    const list = byType.get(unit.type) ?? [];
    list.push(unit.body);
    byType.set(unit.type, list);
  }
  const [only, ...others] = byType.entries();
  const alone = only && others.length === 0 && poison.length === 0 ? parts[only[0]]?.storeAlone : undefined;
  const stored = await (only && alone
    ? alone(db, only[1], env).then((part) => [{ type: only[0], part }])
    : db.transaction(async (tx) => {
        const done: { type: string; part: StoredPart }[] = [];
        for (const [type, bodies] of byType) {
          const part = parts[type];
          if (part) done.push({ type, part: await part.store(tx, bodies, env) });
        }
        const insert = failedEventsInsert(poison);
        if (insert) await tx.execute(withCtes([insert], sql`SELECT count(*) FROM failed_event`));
        return done;
      }));
  for (const { type, part } of stored) {
    const sums = report.parts[type] ?? {};
    for (const [name, value] of Object.entries(part.counts)) sums[name] = (sums[name] ?? 0) + value;
    report.parts[type] = sums;
  }
  report.poison += poison.length;
  return {
    units,
    afterCommit: stored.flatMap(({ part }) => (part.afterCommit ? [part.afterCommit] : [])),
  };
}

/**
 * The events queue consumer: the whole batch in one transaction (each kind of message set-based, a fixed
 * number of statements), acked only after COMMIT and after each part's side effects (the knowledge index).
 * A database that cannot be reached retries every message with exponential back-off
 * (`CAPTURE_RETRY_BASE_SECONDS`); any other failure re-runs the messages one by one, so one bad message
 * cannot hold the rest. Messages no part accepts are kept in failed_events and acked.
 */
export async function handleEventsBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  await processEventsBatch(batch, env);
}

export async function processEventsBatch(batch: MessageBatch<unknown>, env: Env): Promise<EventsBatchReport> {
  const started = Date.now();
  const config = consumerConfig(env);
  // GA4 forwarding is outbound HTTP with its own retries: never inside the batch's transaction.
  const forwards = batch.messages.filter((message) => typeOf(message.body) === ga4ForwardType);
  const units = batch.messages.filter((message) => typeOf(message.body) !== ga4ForwardType).map(classify);
  const report: EventsBatchReport = {
    messages: batch.messages.length,
    poison: 0,
    acked: 0,
    retried: 0,
    parts: {},
    statements: 0,
    fallback: false,
    ga4: null,
    ms: 0,
  };
  const retry = (list: readonly Unit[]) => {
    for (const { message } of list) {
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, config.CAPTURE_RETRY_BASE_SECONDS) });
      report.retried += 1;
    }
  };
  let handle: DbHandle | undefined;
  let client: PoolClient | undefined;
  try {
    handle = openDb(dbConfig(env), 1);
    client = await handle.pool.connect();
  } catch (error) {
    retry(units);
    for (const message of forwards) {
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts, config.CAPTURE_RETRY_BASE_SECONDS) });
      report.retried += 1;
    }
    log("events.batch_failed", { stage: "connect", error: describeError(error), retried: report.retried });
    await handle?.close().catch(() => {});
    report.ms = Date.now() - started;
    return report;
  }
  let broken = false;
  try {
    const db: Database = drizzle({
      client,
      logger: {
        logQuery: () => {
          report.statements += 1;
        },
      },
    });
    const outcome = await (units.length === 0
      ? Promise.resolve({ committed: [] as Committed[], broken: false })
      : commitWithFallback(units, (list) => commit(db, env, list, report), {
          prefix: "events",
          countField: "messages",
          messageId: (unit) => unit.message.id,
          retry,
          onFallback: () => {
            report.fallback = true;
          },
        }));
    broken = outcome.broken;
    const committed = outcome.committed;
    for (const { units: done, afterCommit } of committed) {
      try {
        for (const work of afterCommit) await work(db, env);
        for (const { message } of done) {
          message.ack();
          report.acked += 1;
        }
      } catch (error) {
        // Stored, but a side effect missed the news: a redelivery finds the events stored and redoes it.
        retry(done);
        log("events.batch_failed", { stage: "after_commit", error: describeError(error) });
      }
    }
    if (forwards.length > 0 && broken) {
      for (const message of forwards) {
        message.retry({
          delaySeconds: retryDelaySeconds(message.attempts, config.CAPTURE_RETRY_BASE_SECONDS),
        });
        report.retried += 1;
      }
    } else if (forwards.length > 0) {
      const ga4 = await forwardToGa4(
        db,
        forwards,
        dbConfig(env).GA4_ENDPOINT,
        config.CAPTURE_RETRY_BASE_SECONDS,
      );
      report.ga4 = ga4;
      report.acked += ga4.acked;
      report.retried += ga4.retried;
    }
  } finally {
    client.release(broken);
    await handle.close();
  }
  report.ms = Date.now() - started;
  log("events.batch", { queue: batch.queue, ...report });
  return report;
}
