import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";
import { type DbHandle, openDb } from "../../db/client.ts";
import { dbConfig, type Env } from "../../domain/platform/env.ts";
import { maxQueueDelaySeconds, queueNames } from "../../domain/platform/queue-names.ts";
import {
  buildRelayRequest,
  defaultRetryPolicy,
  defaultTimeoutMs,
  isDelivered,
  maskHeaders,
  type RelayRequest,
  type RetryPolicy,
  UndeliverableJob,
  verdictAfter,
} from "../../domain/relay/delivery.ts";
import { fetchError, readCapped } from "../../domain/relay/http.ts";
import { describeError, retryDelaySeconds } from "../capture/failure.ts";
import type { FailedEventRecord } from "../dead-letter/store.ts";
import { failedEventsInsert } from "../dead-letter/store.ts";
import { relayConcurrency } from "./limits.ts";
import { relayMessageSchema } from "./message.ts";
import {
  type AttemptRow,
  claimStatement,
  finishResult,
  finishStatement,
  type LoadedJob,
  loadedJobSchema,
  type PartnerTally,
} from "./sql.ts";

export interface RelayConsumerOptions {
  /** The clock (tests move it past a back-off instead of waiting). */
  now?: () => Date;
  /** Per request, body included. */
  timeoutMs?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  policy?: RetryPolicy;
}

/** What one batch did; returned for tests and the benchmark, logged as one JSON line. */
export interface RelayBatchReport {
  messages: number;
  poison: number;
  /** Requests made (attempts stored). */
  sent: number;
  succeeded: number;
  /** Failed attempts that will be tried again. */
  retrying: number;
  /** Jobs that used their last attempt (or could not be sent at all). */
  failed: number;
  /** Jobs not due yet, put back on the queue for the time left. */
  delayed: number;
  /** Jobs left alone: already succeeded, failed, paused or being sent by another consumer. */
  skipped: number;
  /** Jobs moved to `paused` (their partner is paused, or was paused by this batch). */
  paused: number;
  partnersPaused: number[];
  acked: number;
  retried: number;
  statements: number;
}

/** A job left `sending` this long was claimed by a consumer that died: it may be claimed again. */
const staleClaimSeconds = 120;

function log(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/**
 * The relay consumer: sends the batch's due jobs (postbacks and lead relays) at most
 * `concurrency` at a time, stores every attempt, and moves jobs, partners' failure counters and
 * pauses in one statement. Two statements per batch whatever its size (claim, finish).
 */
export async function handleRelayBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  await processRelayBatch(batch, env);
}

export async function processRelayBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  options: RelayConsumerOptions = {},
): Promise<RelayBatchReport> {
  const started = Date.now();
  const clock = options.now ?? (() => new Date());
  const policy = options.policy ?? defaultRetryPolicy;
  const report: RelayBatchReport = {
    messages: batch.messages.length,
    poison: 0,
    sent: 0,
    succeeded: 0,
    retrying: 0,
    failed: 0,
    delayed: 0,
    skipped: 0,
    paused: 0,
    partnersPaused: [],
    acked: 0,
    retried: 0,
    statements: 0,
  };

  // Every delivery of a job in this batch is acked (or delayed) together.
  const byJob = new Map<number, Message<unknown>[]>();
  // Per job: the newest attempt count its messages were scheduled at, or null when one is not a
  // scheduled follow-up (a first send, a resend): such a message is always worth a look.
  const scheduledAt = new Map<number, number | null>();
  const poison: FailedEventRecord[] = [];
  const poisonMessages: Message<unknown>[] = [];
  for (const message of batch.messages) {
    const parsed = relayMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      poison.push({
        queue: queueNames.relays,
        messageId: message.id,
        body: message.body,
        attempts: message.attempts,
        error: "invalid_message",
        meta: {
          issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), code: i.code })),
        },
      });
      poisonMessages.push(message);
      continue;
    }
    const { jobId, attempts } = parsed.data;
    const list = byJob.get(jobId);
    if (list) list.push(message);
    else byJob.set(jobId, [message]);
    const seen = scheduledAt.get(jobId);
    scheduledAt.set(
      jobId,
      attempts === undefined || seen === null ? null : Math.max(attempts, seen ?? attempts),
    );
  }

  const ack = (messages: readonly Message<unknown>[]) => {
    for (const message of messages) {
      message.ack();
      report.acked += 1;
    }
  };
  const retryAll = (messages: readonly Message<unknown>[], delaySeconds: number) => {
    for (const message of messages) {
      message.retry({ delaySeconds });
      report.retried += 1;
    }
  };
  const everyMessage = [...byJob.values()].flat().concat(poisonMessages);

  let handle: DbHandle | undefined;
  let db: NeonDatabase | undefined;
  let loaded: LoadedJob[];
  const now = clock();
  try {
    handle = openDb(dbConfig(env), 1);
    const countStatement = () => {
      report.statements += 1;
    };
    db = drizzle({ client: handle.pool, logger: { logQuery: countStatement } });
    const staleBefore = new Date(now.getTime() - staleClaimSeconds * 1000);
    const result = await db.execute<{ jobs: unknown }>(
      claimStatement([...byJob.keys()], now, staleBefore, failedEventsInsert(poison)),
    );
    loaded = loadedJobSchema.array().parse(result.rows[0]?.jobs ?? []);
  } catch (error) {
    // Nothing was claimed (one statement): the whole batch comes back later.
    retryAll(everyMessage, retryDelaySeconds(Math.max(1, ...batch.messages.map((m) => m.attempts)), 5));
    log("relay.batch_failed", { stage: "claim", error: describeError(error), retried: report.retried });
    await handle?.close().catch(() => {});
    return report;
  }
  report.poison = poison.length;
  ack(poisonMessages);

  const toSend: { job: LoadedJob; attempt: number; messages: Message<unknown>[] }[] = [];
  const later: Later[] = [];
  const found = new Set<number>();
  for (const job of loaded) {
    found.add(job.id);
    const messages = byJob.get(job.id) ?? [];
    if (job.claimedAttempt !== null) {
      toSend.push({ job, attempt: job.claimedAttempt, messages });
    } else if (job.pausedNow) {
      report.paused += 1;
      ack(messages);
    } else if (job.status === "pending" && Date.parse(job.dueAt) > now.getTime()) {
      const scheduled = scheduledAt.get(job.id);
      if (scheduled !== null && scheduled !== undefined && scheduled < job.attempts) {
        // A follow-up of an attempt that is no longer the last: the newer attempt scheduled its own.
        report.skipped += 1;
        ack(messages);
      } else {
        later.push({
          jobId: job.id,
          attempts: job.attempts,
          delaySeconds: secondsUntil(job.dueAt, now),
          messages,
        });
      }
    } else {
      // Succeeded (a redelivery sends nothing), failed, paused, or another consumer is sending it.
      report.skipped += 1;
      ack(messages);
    }
  }
  for (const [jobId, messages] of byJob) {
    if (found.has(jobId)) continue;
    log("relay.job_missing", { jobId });
    ack(messages);
  }

  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const results = await mapBounded(toSend, options.concurrency ?? relayConcurrency, (item) =>
    attempt(item.job, item.attempt, timeoutMs, policy, clock),
  );

  if (results.length > 0) {
    const tallies = tally(results);
    try {
      if (!db) throw new Error("no database");
      const finished = await db.execute<Record<string, unknown>>(finishStatement(results, tallies, clock()));
      const outcome = finishResult(finished.rows[0]);
      report.partnersPaused = outcome.pausedPartners;
      report.paused += outcome.jobsPaused;
      report.sent = results.length;
      for (const [index, row] of results.entries()) {
        const messages = toSend[index]?.messages ?? [];
        const status = outcome.statuses.get(row.job_id);
        if (status === "succeeded") report.succeeded += 1;
        else if (status === "failed") report.failed += 1;
        else if (status === "paused") report.paused += 1;
        if (status === "pending" && row.next_attempt_at !== null) {
          report.retrying += 1;
          later.push({
            jobId: row.job_id,
            attempts: row.attempt,
            delaySeconds: secondsUntil(row.next_attempt_at, now),
            messages,
          });
        } else {
          ack(messages);
        }
      }
    } catch (error) {
      // Sent but not recorded: the jobs stay `sending` and become claimable once stale, so the
      // redelivery waits that long and then tries again (the recipient may see the request twice).
      retryAll(
        toSend.flatMap((item) => item.messages),
        staleClaimSeconds + 5,
      );
      log("relay.batch_failed", { stage: "finish", error: describeError(error), retried: report.retried });
    }
  }
  await handle?.close().catch(() => {});

  await scheduleLater(env, later, report);
  log("relay.batch", { queue: batch.queue, ...report, ms: Date.now() - started });
  return report;
}

/** A job to look at again later: a new message, tagged with the job's attempt count now. */
interface Later {
  jobId: number;
  attempts: number;
  delaySeconds: number;
  messages: Message<unknown>[];
}

function secondsUntil(iso: string, now: Date): number {
  const seconds = Math.ceil((Date.parse(iso) - now.getTime()) / 1000);
  return Math.min(Math.max(seconds, 0), maxQueueDelaySeconds);
}

/**
 * A job to try later gets a NEW message with the delay and the old one is acked, rather than
 * `message.retry`: retries count towards the queue's `max_retries` (5), and a job may need more
 * waits than that (8 attempts, plus a partner's firing delay) before it is done. Should the send
 * fail, the message is retried with the delay instead.
 */
async function scheduleLater(env: Env, later: readonly Later[], report: RelayBatchReport): Promise<void> {
  report.delayed = later.length - report.retrying;
  for (let start = 0; start < later.length; start += 100) {
    const chunk = later.slice(start, start + 100);
    try {
      await env.RELAYS_QUEUE.sendBatch(
        chunk.map((item) => ({
          body: { jobId: item.jobId, attempts: item.attempts },
          delaySeconds: item.delaySeconds,
        })),
      );
      for (const item of chunk) {
        for (const message of item.messages) {
          message.ack();
          report.acked += 1;
        }
      }
    } catch (error) {
      log("relay.requeue_failed", { error: describeError(error), jobs: chunk.length });
      for (const item of chunk) {
        for (const message of item.messages) {
          message.retry({ delaySeconds: item.delaySeconds });
          report.retried += 1;
        }
      }
    }
  }
}

/** Runs `work` over `items` with at most `limit` in flight; results in the items' order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      const item = items[index] as T;
      results[index] = await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** One attempt: build, send, read the answer (capped), decide the job's next status. */
async function attempt(
  job: LoadedJob,
  number: number,
  timeoutMs: number,
  policy: RetryPolicy,
  clock: () => Date,
): Promise<AttemptRow & { finishedAt: number }> {
  const attemptedAt = clock();
  let request: RelayRequest;
  try {
    if (!job.recipient) throw new UndeliverableJob("the recipient no longer exists");
    request = await buildRelayRequest(
      { kind: job.kind, event: job.event, values: job.values, payload: job.payload },
      {
        url: job.recipient.url,
        method: job.recipient.method,
        contentType: job.recipient.contentType ?? "json",
        headers: job.recipient.headers,
        signingSecret: job.recipient.signingSecret,
        fieldMapping: job.recipient.fieldMapping,
      },
      attemptedAt,
    );
  } catch (error) {
    // Nothing to send and nothing a retry would change: the job fails at once, its partner's
    // counter does not move (the fault is ours, not the recipient's).
    const reason = error instanceof UndeliverableJob ? error.message : "request could not be built";
    const payload = job.payload as { url?: unknown; method?: unknown } | null;
    const method = job.values === null ? payload?.method : job.recipient?.method;
    return {
      job_id: job.id,
      attempt: number,
      url: job.values === null && typeof payload?.url === "string" ? payload.url : "",
      method: typeof method === "string" ? method.toUpperCase() : "",
      request_headers: {},
      request_body: null,
      response_status: null,
      response_body: null,
      response_truncated: false,
      latency_ms: null,
      error: `undeliverable: ${reason}`,
      succeeded: false,
      attempted_at: attemptedAt.toISOString(),
      status: "failed",
      next_attempt_at: null,
      last_error: `undeliverable: ${reason}`,
      partner_id: null,
      finishedAt: Date.now(),
    };
  }

  const started = Date.now();
  let status: number | null = null;
  let body: { body: string; truncated: boolean } | null = null;
  let error: string | null = null;
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    body = await readCapped(response);
  } catch (caught) {
    error = fetchError(caught, timeoutMs);
  }
  const latency = Date.now() - started;
  const succeeded = error === null && status !== null && isDelivered(status);
  const verdict = verdictAfter(number, succeeded, policy);
  const lastError = succeeded ? null : (error ?? `HTTP ${status}`);
  return {
    job_id: job.id,
    attempt: number,
    url: request.url,
    method: request.method,
    request_headers: maskHeaders(request.headers),
    request_body: request.body,
    response_status: status,
    response_body: body?.body ?? null,
    response_truncated: body?.truncated ?? false,
    latency_ms: latency,
    error,
    succeeded,
    attempted_at: attemptedAt.toISOString(),
    status: verdict.status,
    next_attempt_at:
      verdict.status === "pending"
        ? new Date(attemptedAt.getTime() + verdict.retryInSeconds * 1000).toISOString()
        : null,
    last_error: lastError,
    partner_id: job.kind === "postback" ? job.partnerId : null,
    finishedAt: Date.now(),
  };
}

/** Per partner, in the order the attempts finished: failures, and those after the last success. */
function tally(results: readonly (AttemptRow & { finishedAt: number })[]): PartnerTally[] {
  const ordered = results
    .filter((row) => row.partner_id !== null)
    .sort((a, b) => a.finishedAt - b.finishedAt);
  const byPartner = new Map<number, PartnerTally>();
  for (const row of ordered) {
    if (row.partner_id === null) continue;
    const tallyRow = byPartner.get(row.partner_id) ?? {
      id: row.partner_id,
      failures: 0,
      reset: false,
      failuresAfterLastSuccess: 0,
      lastError: null,
    };
    if (row.succeeded) {
      tallyRow.reset = true;
      tallyRow.failuresAfterLastSuccess = 0;
    } else {
      tallyRow.failures += 1;
      tallyRow.failuresAfterLastSuccess += 1;
      tallyRow.lastError = row.last_error;
    }
    byPartner.set(row.partner_id, tallyRow);
  }
  return [...byPartner.values()];
}
