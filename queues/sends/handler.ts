import { sql } from "drizzle-orm";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import { type DbHandle, openDb } from "../../db/client.ts";
import { withCtes } from "../../db/sql.ts";
import { hashIds } from "../../domain/core/hash-ids.ts";
import { type SendPacer, sharedPacer } from "../../domain/messaging/pacer.ts";
import { type MessageProvider, ProviderError } from "../../domain/messaging/provider.ts";
import {
  type Disposition,
  errorOutcome,
  errorUpdate,
  type PlannedSend,
  planSends,
  resultUpdate,
  type SendUpdate,
} from "../../domain/messaging/send-plan.ts";
import { solapiFromConfig } from "../../domain/messaging/solapi.ts";
import { dbConfig, type Env } from "../../domain/platform/env.ts";
import { maxQueueDelaySeconds, queueNames } from "../../domain/platform/queue-names.ts";
import { consumerConfig, describeError, retryDelaySeconds } from "../capture/failure.ts";
import { type FailedEventRecord, failedEventsInsert } from "../dead-letter/store.ts";
import { maxIdsPerMessage, maxMessagesPerSendBatch, sendsMessageSchema } from "./message.ts";
import { claimStatement, loadStatement, parseLoaded, writeStatement } from "./sql.ts";

export interface SendsConsumerOptions {
  /** The clock (tests fix the night, the cap window). */
  now?: () => Date;
  /** The provider; the Worker's Solapi settings otherwise. */
  provider?: MessageProvider;
  /** The rate pacer; the isolate's shared one at MESSAGING_PROVIDER_RATE_PER_SECOND otherwise. */
  pacer?: SendPacer;
}

/** What one batch did; returned for tests, logged as one JSON line. */
export interface SendsBatchReport {
  messages: number;
  poison: number;
  /** Sends named by the batch and found. */
  loaded: number;
  /** Named but not in the database. */
  missing: number;
  /** Already past the consumer, or of a campaign not running (left as they are). */
  skipped: number;
  accepted: number;
  reconfirm: number;
  rejected: number;
  refused: number;
  held: number;
  inDoubt: number;
  /** Claims given back after a 429/5xx answer: tried again with the message. */
  released: number;
  /** Held sends put back on the queue until their hold ends. */
  requeued: number;
  providerCalls: number;
  /** Milliseconds waited for the rate. */
  pacedMs: number;
  acked: number;
  retried: number;
  statements: number;
}

/** Solapi takes up to 10,000 messages per request; smaller requests keep a lost answer's doubt small. */
const maxMessagesPerRequest = 1000;

function log(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ event, ...fields }));
}

export async function handleSendsBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  await processSendsBatch(batch, env);
}

/**
 * The sends consumer (SPEC §13, CONTRACT §2): loads the batch's sends with everything the gate needs (one
 * statement), decides each (`planSends`), claims the ones to send (one statement), hands them to the
 * provider in requests paced to the provider's rate, and writes every status change with its history row
 * (one statement). Held sends go back on the queue until their hold ends. See domain/messaging/README.md
 * for why a send whose provider answer was lost is never sent again.
 */
export async function processSendsBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  options: SendsConsumerOptions = {},
): Promise<SendsBatchReport> {
  const started = Date.now();
  const clock = options.now ?? (() => new Date());
  const report: SendsBatchReport = {
    messages: batch.messages.length,
    poison: 0,
    loaded: 0,
    missing: 0,
    skipped: 0,
    accepted: 0,
    reconfirm: 0,
    rejected: 0,
    refused: 0,
    held: 0,
    inDoubt: 0,
    released: 0,
    requeued: 0,
    providerCalls: 0,
    pacedMs: 0,
    acked: 0,
    retried: 0,
    statements: 0,
  };
  const config = dbConfig(env);
  const retryBase = consumerConfig(env).CAPTURE_RETRY_BASE_SECONDS;
  const ack = (message: Message<unknown>) => {
    message.ack();
    report.acked += 1;
  };
  const retry = (message: Message<unknown>) => {
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts, retryBase) });
    report.retried += 1;
  };

  const poison: FailedEventRecord[] = [];
  const valid: { message: Message<unknown>; sendIds: number[] }[] = [];
  for (const message of batch.messages) {
    const parsed = sendsMessageSchema.safeParse(message.body);
    if (parsed.success) valid.push({ message, sendIds: parsed.data.sendIds });
    else
      poison.push({
        queue: queueNames.sends,
        messageId: message.id,
        body: message.body,
        attempts: message.attempts,
        error: "invalid_message",
        meta: {
          issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), code: i.code })),
        },
      });
  }
  const allIds = [...new Set(valid.flatMap((item) => item.sendIds))].sort((a, b) => a - b);

  let handle: DbHandle | undefined;
  let db: NeonDatabase;
  const now = clock();
  let dispositions: Disposition[];
  try {
    handle = openDb(config, 1);
    db = drizzle({
      client: handle.pool,
      logger: {
        logQuery: () => {
          report.statements += 1;
        },
      },
    });
    const insert = failedEventsInsert(poison);
    if (insert) await db.execute(withCtes([insert], sql`SELECT count(*) FROM failed_event`));
    const loaded = parseLoaded(
      allIds.length === 0
        ? []
        : (await db.execute<{ sends: unknown }>(loadStatement(allIds, now))).rows[0]?.sends,
    );
    report.loaded = loaded.length;
    report.missing = allIds.length - loaded.length;
    const ids = hashIds(config.SQIDS_ALPHABET);
    dispositions = planSends(loaded, {
      now,
      linkBaseUrl: config.MESSAGE_LINK_BASE_URL,
      alphabet: config.SQIDS_ALPHABET,
      customId: (id) => ids.encode("messageSend", id),
      provider: "solapi",
    });
  } catch (error) {
    for (const { message } of valid) retry(message);
    log("sends.batch_failed", { stage: "load", error: describeError(error), retried: report.retried });
    await handle?.close().catch(() => {});
    return report;
  }
  report.poison = poison.length;
  for (const message of batch.messages) if (!valid.some((item) => item.message === message)) ack(message);

  const updates: SendUpdate[] = [];
  const later: { id: number; until: Date }[] = [];
  let planned: PlannedSend[] = [];
  for (const item of dispositions) {
    if (item.kind === "skip") report.skipped += 1;
    else if (item.kind === "later") later.push({ id: item.id, until: item.until });
    else if (item.kind === "write") updates.push(item.update);
    else planned.push(item.send);
  }

  const released = new Set<number>();
  try {
    if (planned.length > 0) {
      const claimed = await db.execute<{ id: number | string }>(
        claimStatement(
          planned.map((p) => p.id),
          "solapi",
        ),
      );
      const ids = new Set(claimed.rows.map((row) => Number(row.id)));
      report.skipped += planned.length - ids.size;
      planned = planned.filter((p) => ids.has(p.id));
    }
  } catch (error) {
    for (const { message } of valid) retry(message);
    log("sends.batch_failed", { stage: "claim", error: describeError(error), retried: report.retried });
    await handle.close().catch(() => {});
    return report;
  }

  await sendPlanned(planned, { env, options, clock, report, updates, released });

  try {
    if (updates.length > 0 || released.size > 0)
      await db.execute(writeStatement(updates, [...released], clock()));
  } catch (error) {
    // The provider has these; the sends stay claimed, so a redelivery marks them in doubt, never resends.
    log("sends.batch_failed", {
      stage: "write",
      error: describeError(error),
      sent: updates.filter((u) => u.providerMessageId !== null).map((u) => [u.id, u.providerMessageId]),
    });
    for (const { message } of valid) retry(message);
    await handle.close().catch(() => {});
    return report;
  }
  await handle.close().catch(() => {});
  for (const update of updates) {
    if (update.status === "accepted") report.accepted += 1;
    else if (update.status === "reconfirm") report.reconfirm += 1;
    else if (update.status === "rejected") report.rejected += 1;
    else if (update.status === "refused") report.refused += 1;
    else if (update.status === "held") report.held += 1;
    else if (update.status === "failed") report.inDoubt += 1;
  }
  report.released = released.size;

  for (const update of updates)
    if (update.status === "held" && update.heldUntil) later.push({ id: update.id, until: update.heldUntil });
  const unqueued = await requeueHeld(env, later, now, report);

  for (const { message, sendIds } of valid) {
    if (sendIds.some((id) => released.has(id) || unqueued.has(id))) retry(message);
    else ack(message);
  }
  log("sends.batch", { queue: batch.queue, ...report, ms: Date.now() - started });
  return report;
}

/** Hands the claimed sends to the provider, paced, and adds each one's outcome to `updates`. */
async function sendPlanned(
  planned: readonly PlannedSend[],
  context: {
    env: Env;
    options: SendsConsumerOptions;
    clock: () => Date;
    report: SendsBatchReport;
    updates: SendUpdate[];
    released: Set<number>;
  },
): Promise<void> {
  if (planned.length === 0) return;
  const { clock, report, updates, released } = context;
  const config = dbConfig(context.env);
  const pacer = context.options.pacer ?? sharedPacer(config.MESSAGING_PROVIDER_RATE_PER_SECOND);
  const size = Math.min(pacer.maxRequest, maxMessagesPerRequest);
  let provider: MessageProvider | null = null;
  let stop = false;
  for (let start = 0; start < planned.length; start += size) {
    const chunk = planned.slice(start, start + size);
    if (stop) {
      for (const send of chunk) released.add(send.id);
      continue;
    }
    try {
      provider ??= context.options.provider ?? solapiFromConfig(config);
      report.pacedMs += await pacer.take(chunk.length);
      report.providerCalls += 1;
      const results = await provider.sendMany(chunk.map((send) => send.outbound));
      const at = clock();
      chunk.forEach((send, index) => {
        const result = results[index];
        if (result) updates.push(resultUpdate(send, result, at));
        else
          updates.push(
            errorUpdate(send, new ProviderError("response", "no result for the message"), at, "solapi"),
          );
      });
    } catch (thrown) {
      const error =
        thrown instanceof ProviderError
          ? thrown
          : new ProviderError("response", `the provider call failed: ${String(thrown)}`);
      const outcome = errorOutcome(error);
      log("sends.provider_error", {
        kind: error.kind,
        status: error.details.httpStatus ?? null,
        outcome,
        sends: chunk.length,
      });
      if (outcome === "retry") {
        // The provider is refusing for now: the rest of the batch waits too.
        for (const send of chunk) released.add(send.id);
        stop = true;
      } else {
        const at = clock();
        for (const send of chunk) updates.push(errorUpdate(send, error, at, "solapi"));
      }
    }
  }
}

/**
 * Puts held sends back on the queue until their hold ends (at most 12 hours per hop; a send that comes back
 * early is put back again). Returns the ids that could not be enqueued: their messages are retried instead.
 */
async function requeueHeld(
  env: Env,
  later: readonly { id: number; until: Date }[],
  now: Date,
  report: SendsBatchReport,
): Promise<Set<number>> {
  const failed = new Set<number>();
  const byDelay = new Map<number, number[]>();
  for (const { id, until } of later) {
    const seconds = Math.min(
      Math.max(Math.ceil((until.getTime() - now.getTime()) / 1000), 1),
      maxQueueDelaySeconds,
    );
    const list = byDelay.get(seconds) ?? [];
    list.push(id);
    byDelay.set(seconds, list);
  }
  const messages: { ids: number[]; delaySeconds: number }[] = [];
  for (const [delaySeconds, list] of byDelay) {
    const sorted = [...list].sort((a, b) => a - b);
    for (let start = 0; start < sorted.length; start += maxIdsPerMessage)
      messages.push({ ids: sorted.slice(start, start + maxIdsPerMessage), delaySeconds });
  }
  for (let start = 0; start < messages.length; start += maxMessagesPerSendBatch) {
    const chunk = messages.slice(start, start + maxMessagesPerSendBatch);
    try {
      await env.SENDS_QUEUE.sendBatch(
        chunk.map((item) => ({
          body: { type: "sends", sendIds: item.ids },
          contentType: "json" as const,
          delaySeconds: item.delaySeconds,
        })),
      );
      for (const item of chunk) report.requeued += item.ids.length;
    } catch (error) {
      log("sends.requeue_failed", {
        error: describeError(error),
        sends: chunk.reduce((n, c) => n + c.ids.length, 0),
      });
      for (const item of chunk) for (const id of item.ids) failed.add(id);
    }
  }
  return failed;
}
