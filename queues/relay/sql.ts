import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { type Cte, recordset, withCtes } from "../../db/sql.ts";

/** A requested job as the claim statement returns it, with its recipient's current settings. */
export const loadedJobSchema = z.object({
  id: z.number().int(),
  kind: z.enum(["postback", "lead_relay"]),
  event: z.string(),
  /** The status before this batch touched it. */
  status: z.enum(["pending", "sending", "succeeded", "failed", "paused"]),
  /** Attempts made before this batch claimed it. */
  attempts: z.number().int(),
  /** What the job was made with; null for jobs made before (they carry a resolved `payload`). */
  values: z.unknown(),
  payload: z.unknown(),
  partnerId: z.number().int().nullable(),
  /** When the job may be tried: next_attempt_at, and for a first attempt its creation + the recipient's delay. */
  dueAt: z.string(),
  /** Set when this batch claimed the job: the number of the attempt it is about to make. */
  claimedAttempt: z.number().int().nullable(),
  /** The partner's postbacks are paused: this batch moved the job to `paused`. */
  pausedNow: z.boolean(),
  /** The recipient's settings now: each attempt is sent as they are at that attempt. */
  recipient: z
    .object({
      url: z.string().nullable(),
      method: z.string(),
      contentType: z.string().nullable(),
      headers: z.unknown(),
      signingSecret: z.string().nullable(),
      fieldMapping: z.unknown(),
    })
    .nullable(),
});
export type LoadedJob = z.infer<typeof loadedJobSchema>;

/**
 * One statement: the batch's jobs with their recipients, each due and unpaused `pending` job claimed
 * (`sending`, attempts + 1) and each pending job of a paused partner moved to `paused`. The claim is
 * an UPDATE … WHERE status = 'pending': of two consumers holding the same job, the second finds it
 * `sending` once the first's row lock is released, so a job is never sent twice at once. A job left
 * `sending` by a consumer that died is claimable again after `staleBefore`.
 */
export function claimStatement(
  jobIds: readonly number[],
  now: Date,
  staleBefore: Date,
  poison: Cte | null,
): SQL {
  const ctes: Cte[] = [];
  if (poison) ctes.push(poison);
  ctes.push(
    { name: "requested", body: sql`SELECT DISTINCT unnest(${jsonIds(jobIds)}::bigint[]) AS id` },
    {
      name: "due",
      body: sql`SELECT j.id,
          CASE WHEN j.attempts = 0
            THEN greatest(j.next_attempt_at,
              j.created_at + make_interval(secs => coalesce(p.postback_delay_seconds, t.delay_seconds, 0)))
            ELSE j.next_attempt_at END AS due_at,
          (j.kind = 'postback' AND p.postbacks_paused_at IS NOT NULL) AS partner_paused
        FROM relay_jobs j
        LEFT JOIN partners p ON p.id = j.partner_id AND j.kind = 'postback'
        LEFT JOIN relay_targets t ON t.id = j.relay_target_id AND j.kind = 'lead_relay'
        WHERE j.id IN (SELECT id FROM requested)`,
    },
    {
      name: "claimed",
      body: sql`UPDATE relay_jobs j SET status = 'sending', attempts = j.attempts + 1, updated_at = ${now.toISOString()}::timestamptz
        FROM due d
        -- The clock has milliseconds, Postgres microseconds: a job due within this millisecond is due.
        WHERE j.id = d.id AND NOT d.partner_paused
          AND date_trunc('milliseconds', d.due_at) <= ${now.toISOString()}::timestamptz
          AND (j.status = 'pending' OR (j.status = 'sending' AND j.updated_at < ${staleBefore.toISOString()}::timestamptz))
        RETURNING j.id, j.attempts`,
    },
    {
      name: "paused",
      body: sql`UPDATE relay_jobs j SET status = 'paused', updated_at = ${now.toISOString()}::timestamptz
        FROM due d WHERE j.id = d.id AND d.partner_paused AND j.status = 'pending'
        RETURNING j.id`,
    },
  );
  return withCtes(
    ctes,
    sql`SELECT coalesce(jsonb_agg(jsonb_build_object(
        'id', j.id, 'kind', j.kind, 'event', j.event, 'status', j.status,
        'attempts', j.attempts,
        'values', j.job_values, 'payload', j.payload,
        'partnerId', j.partner_id, 'dueAt', d.due_at, 'claimedAttempt', c.attempts,
        'pausedNow', pz.id IS NOT NULL,
        'recipient', CASE
          WHEN j.kind = 'postback' AND p.id IS NOT NULL THEN jsonb_build_object('url', p.postback_url,
            'method', p.postback_method, 'contentType', p.postback_content_type,
            'headers', p.postback_headers, 'signingSecret', p.signing_secret, 'fieldMapping', NULL)
          WHEN j.kind = 'lead_relay' AND t.id IS NOT NULL THEN jsonb_build_object('url', t.url,
            'method', t.method, 'contentType', t.content_type,
            'headers', t.headers, 'signingSecret', t.signing_secret, 'fieldMapping', t.field_mapping)
          END)), '[]'::jsonb) AS jobs
      FROM relay_jobs j
      JOIN due d ON d.id = j.id
      LEFT JOIN claimed c ON c.id = j.id
      LEFT JOIN paused pz ON pz.id = j.id
      LEFT JOIN partners p ON p.id = j.partner_id
      LEFT JOIN relay_targets t ON t.id = j.relay_target_id`,
  );
}

const jsonIds = (ids: readonly number[]): string => `{${ids.join(",")}}`;

/** One attempt as sent and answered, and what it decided for its job. */
export interface AttemptRow {
  job_id: number;
  attempt: number;
  url: string;
  method: string;
  request_headers: Record<string, string>;
  request_body: string | null;
  response_status: number | null;
  response_body: string | null;
  response_truncated: boolean;
  latency_ms: number | null;
  error: string | null;
  succeeded: boolean;
  attempted_at: string;
  /** The job's new status. */
  status: "succeeded" | "pending" | "failed";
  /** For `pending`: when to try again. */
  next_attempt_at: string | null;
  last_error: string | null;
  /** The postback's partner (its failure counter moves); null for a lead relay. */
  partner_id: number | null;
}

/** A partner's share of the batch's attempts, in the order they finished. */
export interface PartnerTally {
  id: number;
  failures: number;
  /** Some attempt succeeded: the counter restarts from the failures after the last success. */
  reset: boolean;
  failuresAfterLastSuccess: number;
  lastError: string | null;
}

export interface FinishResult {
  /** Job id → status after this batch (a retry of a partner paused now became `paused`). */
  statuses: Map<number, string>;
  pausedPartners: number[];
  /** Other pending jobs of those partners moved to `paused`. */
  jobsPaused: number;
  attemptsStored: number;
}

/**
 * One statement for the whole batch's outcome: every attempt inserted, every job updated, the
 * partners' consecutive-failure counters moved (reset by a success), and for each partner that
 * reached its failure limit now: `postbacks_paused_at` set, its pending postbacks `paused` and one
 * operator alert. "Now" is recognised by `postbacks_paused_at` being this batch's timestamp: the
 * partner row is locked by the UPDATE, so of two batches only the first sees it unpaused.
 */
export function finishStatement(
  attempts: readonly AttemptRow[],
  tallies: readonly PartnerTally[],
  now: Date,
): SQL {
  const at = sql`${now.toISOString()}::timestamptz`;
  const newCount = sql`CASE WHEN r.reset THEN r.failures_after_last_success
    ELSE partners.postback_consecutive_failures + r.failures END`;
  const partnerRows = tallies.map((tally) => ({
    id: tally.id,
    failures: tally.failures,
    reset: tally.reset,
    failures_after_last_success: tally.failuresAfterLastSuccess,
    last_error: tally.lastError,
  }));
  const ctes: Cte[] = [
    {
      name: "attempt_rows",
      body: sql`SELECT * FROM ${recordset(
        attempts,
        `job_id bigint, attempt integer, url text, method text, request_headers jsonb, request_body text,
         response_status integer, response_body text, response_truncated boolean, latency_ms integer, error text,
         succeeded boolean, attempted_at timestamptz, status relay_status, next_attempt_at timestamptz,
         last_error text, partner_id bigint`,
      )}`,
    },
    {
      name: "counted",
      body: sql`UPDATE partners SET postback_consecutive_failures = ${newCount},
          postbacks_paused_at = CASE WHEN partners.postbacks_paused_at IS NULL
            AND ${newCount} >= partners.postback_failure_limit THEN ${at} ELSE partners.postbacks_paused_at END
        FROM ${recordset(partnerRows, "id bigint, failures integer, reset boolean, failures_after_last_success integer, last_error text")}
        WHERE partners.id = r.id
        RETURNING partners.id, partners.name, partners.postbacks_paused_at = ${at} AS paused_now,
          partners.postback_consecutive_failures AS failures, partners.postback_failure_limit AS failure_limit,
          r.last_error`,
    },
    { name: "newly", body: sql`SELECT * FROM counted WHERE paused_now` },
    {
      name: "attempt",
      body: sql`INSERT INTO relay_attempts (job_id, attempt, url, method, request_headers, request_body,
          response_status, response_body, response_truncated, latency_ms, error, succeeded, attempted_at)
        SELECT job_id, attempt, url, method, request_headers, request_body, response_status, response_body,
          response_truncated, latency_ms, error, succeeded, attempted_at
        FROM attempt_rows
        ON CONFLICT (job_id, attempt) DO NOTHING
        RETURNING job_id`,
    },
    {
      name: "job",
      // Only the claim this batch holds: a job re-claimed after looking stale is the newer claim's to finish.
      body: sql`UPDATE relay_jobs j SET
          status = CASE WHEN a.status = 'pending' AND a.partner_id IN (SELECT id FROM newly)
            THEN 'paused'::relay_status ELSE a.status END,
          next_attempt_at = coalesce(a.next_attempt_at, j.next_attempt_at),
          last_error = a.last_error,
          succeeded_at = CASE WHEN a.status = 'succeeded' THEN ${at} ELSE j.succeeded_at END,
          updated_at = ${at}
        FROM attempt_rows a
        WHERE j.id = a.job_id AND j.status = 'sending' AND j.attempts = a.attempt
        RETURNING j.id, j.status`,
    },
    {
      name: "held",
      body: sql`UPDATE relay_jobs j SET status = 'paused', updated_at = ${at}
        WHERE j.kind = 'postback' AND j.status = 'pending' AND j.partner_id IN (SELECT id FROM newly)
          AND j.id NOT IN (SELECT job_id FROM attempt_rows)
        RETURNING j.id`,
    },
    {
      name: "alert",
      body: sql`INSERT INTO operator_alerts (kind, partner_id, message, detail)
        SELECT 'partner_postbacks_paused', n.id,
          'Postbacks to partner ' || n.name || ' paused after ' || n.failures || ' consecutive failed attempts.',
          jsonb_build_object('consecutive_failures', n.failures, 'failure_limit', n.failure_limit,
            'last_error', n.last_error)
        FROM newly n
        RETURNING id`,
    },
  ];
  return withCtes(
    ctes,
    sql`SELECT
      (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'status', status)), '[]'::jsonb) FROM job) AS jobs,
      (SELECT coalesce(jsonb_agg(id ORDER BY id), '[]'::jsonb) FROM newly) AS paused_partners,
      (SELECT count(*)::int FROM held) AS jobs_paused,
      (SELECT count(*)::int FROM attempt) AS attempts_stored,
      (SELECT count(*)::int FROM alert) AS alerts`,
  );
}

export const finishRowSchema = z.object({
  jobs: z.array(z.object({ id: z.number().int(), status: z.string() })),
  paused_partners: z.array(z.number().int()),
  jobs_paused: z.number().int(),
  attempts_stored: z.number().int(),
  alerts: z.number().int(),
});

export function finishResult(row: unknown): FinishResult {
  const parsed = finishRowSchema.parse(row);
  return {
    statuses: new Map(parsed.jobs.map((job) => [job.id, job.status])),
    pausedPartners: parsed.paused_partners,
    jobsPaused: parsed.jobs_paused,
    attemptsStored: parsed.attempts_stored,
  };
}
