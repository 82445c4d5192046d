import { sql } from "drizzle-orm";
import type { Transaction } from "../../db/client.ts";
import { addDays, type BatchDate, endOfDate } from "./dates.ts";
import type { BatchJob } from "./job.ts";

/** Logs created before this instant are past a retention of `days` at the end of `date`. */
export const retentionCutoff = (date: BatchDate, days: number): Date => endOfDate(addDays(date, -days));

/**
 * Capture HTTP logs keep their row (the capture shows its exchange was logged and when, its method,
 * status, sizes and timing) but lose what identifies the visitor: request and response headers, the body,
 * user agent, IP, and the query strings of the landing URL and of the redirect (the marketing parameters
 * stay in capture_marketing). `cleared_at` says so.
 */
async function clearHttpLogs(tx: Transaction, cutoff: Date, limit: number): Promise<number> {
  const result = await tx.execute(sql`
    WITH due AS (
      SELECT capture_id FROM capture_http_logs
       WHERE cleared_at IS NULL AND created_at < ${cutoff.toISOString()}::timestamptz
       ORDER BY created_at
       LIMIT ${limit}
    )
    UPDATE capture_http_logs l
       SET request_headers = '{}'::jsonb, request_body = NULL, user_agent = NULL, ip = NULL,
           response_headers = '{}'::jsonb,
           url = split_part(l.url, '?', 1), response_location = split_part(l.response_location, '?', 1),
           cleared_at = now()
      FROM due
     WHERE l.capture_id = due.capture_id`);
  return result.rowCount ?? 0;
}

/**
 * Relay attempts keep what a relay job's attempt log shows besides the bodies (URL, masked headers, status,
 * latency, outcome, error) and lose the request and response bodies; `bodies_cleared_at` says so.
 */
async function clearRelayBodies(tx: Transaction, cutoff: Date, limit: number): Promise<number> {
  const result = await tx.execute(sql`
    WITH due AS (
      SELECT id FROM relay_attempts
       WHERE bodies_cleared_at IS NULL AND attempted_at < ${cutoff.toISOString()}::timestamptz
       ORDER BY attempted_at
       LIMIT ${limit}
    )
    UPDATE relay_attempts a
       SET request_body = NULL, response_body = NULL, bodies_cleared_at = now()
      FROM due
     WHERE a.id = due.id`);
  return result.rowCount ?? 0;
}

/**
 * Raw logs past their retention (RETENTION_DAYS_HTTP_LOGS, RETENTION_DAYS_RELAY_BODIES) at the end of the
 * run date are cleared; ledger rows are never touched. Cleared rows are marked, so a re-run clears nothing
 * more.
 */
export const retentionCleanupJob: BatchJob = {
  name: "retention-cleanup",
  summary: "Clears capture HTTP logs and relay bodies past their retention.",
  cron: "30 3 * * *",
  chunkSize: 5000,
  async chunk({ tx, date, settings, limit }) {
    const logs = await clearHttpLogs(tx, retentionCutoff(date, settings.retentionDaysHttpLogs), limit);
    const bodies = await clearRelayBodies(
      tx,
      retentionCutoff(date, settings.retentionDaysRelayBodies),
      limit,
    );
    return { rows: logs + bodies, done: logs < limit && bodies < limit };
  },
};
