import type { PoolClient } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-serverless";
import { type DbHandle, openDb } from "../../db/client.ts";
import type { CaptureOutcome } from "../../domain/capture/outcome.ts";
import { dbConfig, type Env } from "../../domain/platform/env.ts";
import { queueNames } from "../../domain/platform/queue-names.ts";
import { enqueueRelayJobs } from "../../domain/relay/enqueue.ts";
import type { FailedEventRecord } from "../dead-letter/store.ts";
import { commitWithFallback, consumerConfig, describeError, retryDelaySeconds } from "./failure.ts";
import { type CaptureMessage, captureMessageSchema } from "./message.ts";
import { type PipelineDatabase, type PipelineResult, runCapturePipeline } from "./pipeline.ts";
import { type EmailKnowledge, publishBatchKnowledge } from "./stages/08-knowledge.ts";

/**
 * One unit of work: a capture (every delivery of it in this batch, acked together) or a
 * message that failed schema parsing.
 */
type Unit =
  | { kind: "capture"; capture: CaptureMessage; messages: Message<unknown>[] }
  | { kind: "poison"; record: FailedEventRecord; messages: Message<unknown>[] };

/** What one batch did; returned for tests and the benchmark, logged as one JSON line. */
export interface CaptureBatchReport {
  messages: number;
  /** Captures stored by this batch. */
  stored: number;
  /** Captures a previous delivery already stored. */
  redelivered: number;
  /** Messages that failed schema parsing, kept in failed_events. */
  poison: number;
  acked: number;
  retried: number;
  outcomes: Record<CaptureOutcome, number>;
  /** Statements sent to Postgres (BEGIN and COMMIT included). */
  statements: number;
  /** True when the whole-batch transaction failed and messages ran one by one. */
  fallback: boolean;
  relayJobsEnqueued: number;
  knowledgePublished: number;
  /** Where the time went, in milliseconds: connect, each statement (with the work before the next), after commit. */
  timings: {
    connect: number;
    statements: number[];
    publish: number;
    enqueue: number;
    close: number;
    total: number;
  };
}

function units(batch: MessageBatch<unknown>): Unit[] {
  const byCapture = new Map<string, Unit & { kind: "capture" }>();
  const result: Unit[] = [];
  for (const message of batch.messages) {
    const parsed = captureMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      result.push({
        kind: "poison",
        messages: [message],
        record: {
          queue: queueNames.captures,
          messageId: message.id,
          body: message.body,
          attempts: message.attempts,
          error: "invalid_message",
          // Paths and codes only: the issue messages can quote submitted values.
          meta: {
            issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), code: i.code })),
          },
        },
      });
      continue;
    }
    const existing = byCapture.get(parsed.data.captureId);
    if (existing) {
      existing.messages.push(message);
      continue;
    }
    const unit = { kind: "capture" as const, capture: parsed.data, messages: [message] };
    byCapture.set(parsed.data.captureId, unit);
    result.push(unit);
  }
  return result;
}

function log(event: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ event, ...fields }));
}

/**
 * The capture queue consumer. The whole batch runs as one transaction; messages are acked
 * only after COMMIT and after the knowledge index and relay queue got their updates. A
 * database that cannot be reached retries every message with exponential back-off; any
 * other failure re-runs the messages one by one, so one bad message cannot hold the rest.
 */
export async function handleCaptureBatch(
  batch: MessageBatch<unknown>,
  env: Env,
  _ctx: ExecutionContext,
): Promise<void> {
  await processCaptureBatch(batch, env);
}

export async function processCaptureBatch(
  batch: MessageBatch<unknown>,
  env: Env,
): Promise<CaptureBatchReport> {
  const started = Date.now();
  const config = consumerConfig(env);
  const work = units(batch);
  const report: CaptureBatchReport = {
    messages: batch.messages.length,
    stored: 0,
    redelivered: 0,
    poison: 0,
    acked: 0,
    retried: 0,
    outcomes: { new: 0, duplicate: 0, restored: 0, invalid: 0, bot: 0 },
    statements: 0,
    fallback: false,
    relayJobsEnqueued: 0,
    knowledgePublished: 0,
    timings: { connect: 0, statements: [], publish: 0, enqueue: 0, close: 0, total: 0 },
  };
  const marks: number[] = [];
  const retry = (list: readonly Unit[]) => {
    for (const unit of list) {
      for (const message of unit.messages) {
        message.retry({
          delaySeconds: retryDelaySeconds(message.attempts, config.CAPTURE_RETRY_BASE_SECONDS),
        });
        report.retried += 1;
      }
    }
  };
  let handle: DbHandle | undefined;
  let client: PoolClient | undefined;
  try {
    handle = openDb(dbConfig(env), 1);
    client = await handle.pool.connect();
    report.timings.connect = Date.now() - started;
  } catch (error) {
    retry(work);
    log("capture.batch_failed", { stage: "connect", error: describeError(error), retried: report.retried });
    await handle?.close().catch(() => {});
    return report;
  }
  let broken = false;
  const committed: Committed[] = [];
  try {
    const db: PipelineDatabase = drizzle({
      client,
      logger: {
        logQuery: () => {
          report.statements += 1;
          marks.push(Date.now());
        },
      },
    });
    const outcome = await commitWithFallback(work, (list) => commitUnits(db, list, marks), {
      prefix: "capture",
      countField: "units",
      messageId: (unit) => unit.messages[0]?.id,
      retry,
      onFallback: () => {
        report.fallback = true;
      },
    });
    broken = outcome.broken;
    committed.push(...outcome.committed);
  } finally {
    // The connection is not needed for the side effects after COMMIT: give it back first.
    const closing = Date.now();
    client.release(broken);
    await handle.close();
    report.timings.close = Date.now() - closing;
  }
  if (committed.length > 0) {
    try {
      await afterCommit(env, committed, report);
      for (const { units: done, result, poison } of committed) {
        report.stored += result.written.length;
        report.redelivered += result.redelivered.length;
        report.poison += poison;
        for (const [outcome, count] of Object.entries(result.outcomes) as [CaptureOutcome, number][]) {
          report.outcomes[outcome] += count;
        }
        for (const unit of done) {
          for (const message of unit.messages) {
            message.ack();
            report.acked += 1;
          }
        }
      }
    } catch (error) {
      // Stored, but the edge's index or the relay queue missed the news: a redelivery finds the
      // captures stored and redoes only these side effects.
      retry(committed.flatMap((entry) => entry.units));
      log("capture.batch_failed", { stage: "after_commit", error: describeError(error) });
    }
  }
  report.timings.statements = marks.slice(0, -1).map((mark, i) => (marks[i + 1] ?? mark) - mark);
  report.timings.total = Date.now() - started;
  log("capture.batch", { queue: batch.queue, ...report, ms: Date.now() - started });
  return report;
}

/** Units whose transaction committed, waiting for their side effects and acks. */
interface Committed {
  units: readonly Unit[];
  result: PipelineResult;
  poison: number;
}

async function commitUnits(db: PipelineDatabase, list: readonly Unit[], marks: number[]): Promise<Committed> {
  const captures: CaptureMessage[] = [];
  const poison: FailedEventRecord[] = [];
  for (const unit of list) {
    if (unit.kind === "capture") captures.push(unit.capture);
    else poison.push(unit.record);
  }
  const result = await runCapturePipeline(db, { captures, poison });
  // Closes the last statement's (COMMIT's) span.
  marks.push(Date.now());
  return { units: list, result, poison: poison.length };
}

/** After COMMIT: the knowledge index first (the edge routes by it), then the relay jobs. */
async function afterCommit(
  env: Env,
  committed: readonly Committed[],
  report: CaptureBatchReport,
): Promise<void> {
  const knowledge = new Map<string, EmailKnowledge>();
  const jobIds: number[] = [];
  for (const { result } of committed) {
    for (const [sha256, entry] of result.knowledge) knowledge.set(sha256, entry);
    jobIds.push(...result.relayJobIds);
  }
  const started = Date.now();
  report.knowledgePublished = await publishBatchKnowledge(env.KNOWLEDGE, knowledge);
  const published = Date.now();
  await enqueueRelayJobs(env.RELAYS_QUEUE, jobIds);
  report.relayJobsEnqueued = jobIds.length;
  report.timings.publish = published - started;
  report.timings.enqueue = Date.now() - published;
}
