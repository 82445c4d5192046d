import { type SQL, sql } from "drizzle-orm";
import type { NeonDatabase } from "drizzle-orm/neon-serverless";
import { z } from "zod";
import { executePrepared } from "../../db/prepared.ts";
import { type Cte, pgArray, recordset, withCtes } from "../../db/sql.ts";
import type { CaptureOutcome, RelationshipState } from "../../domain/capture/outcome.ts";
import { type FailedEventRecord, failedEventsInsert } from "../dead-letter/store.ts";
import { ProcessingError } from "./failure.ts";
import type { CaptureMessage } from "./message.ts";
import { detectCaptureCrawler } from "./stages/01-crawler.ts";
import {
  type BatchCatalog,
  catalogQuery,
  fieldErrorsInsert,
  parseCatalog,
  validateCapture,
} from "./stages/02-field-validation.ts";
import { emailIdentity, emailsUpsert } from "./stages/03-email.ts";
import { captureGeo, geoInsert } from "./stages/04-geo.ts";
import { captureMarketing, lateConversionsAttach, marketingInsert } from "./stages/05-marketing.ts";
import { captureHttpLog, httpLogInsert } from "./stages/06-http-log.ts";
import {
  contactEventRows,
  contactEventsInsert,
  contactsUpsert,
  type LockedRelationship,
  relationshipsUpdate,
  relationshipsUpsert,
  relationshipUpdates,
} from "./stages/07-contacts.ts";
import {
  type EmailKnowledge,
  knowledgeAfter,
  knowledgeInsert,
  knowledgeRows,
  knowledgeSnapshot,
  knownEmails,
} from "./stages/08-knowledge.ts";
import { capturesInsert, classifyCaptures } from "./stages/09-outcome.ts";
import { pendingRelayJobs, planCaptureRelays, relayJobsInsert } from "./stages/10-relay-dispatch.ts";
import { type DecidedCapture, type PreparedCapture, wantsContact } from "./types.ts";

/**
 * The capture pipeline: ten stages over one batch, in one transaction of a fixed number of
 * statements whatever the batch size —
 *   1. catalog: every landing, partner, product… the batch names (feeds stage 2, 5, 10);
 *   2. identity: stored captures (idempotency), emails (3), contacts and locked brand
 *      relationships (7), committed knowledge (8), pending relay jobs of stored captures (10);
 *   3. write: captures with outcome (9), field errors (2), geo (4), marketing (5), HTTP log (6),
 *      relationship updates and contact events (7), knowledge flags (8), relay jobs (10),
 *      and poison messages into failed_events —
 * plus BEGIN and COMMIT. Stages 1–6 are pure and run before the identity statement; 9 runs
 * before 7's updates because the relationship follows from the outcome.
 */
export interface PipelineInput {
  captures: readonly CaptureMessage[];
  poison: readonly FailedEventRecord[];
}

export interface PipelineResult {
  /** Captures this run stored. */
  written: string[];
  /** Captures a previous delivery already stored: nothing written for them. */
  redelivered: string[];
  outcomes: Record<CaptureOutcome, number>;
  /**
   * Knowledge after COMMIT of the emails whose KV entry is not current: changed by this batch,
   * or seen differently by the edge than it is, or of a redelivered capture. An entry the edge
   * read correctly is not rewritten (KV bills writes and allows one per second per key).
   */
  knowledge: Map<string, EmailKnowledge>;
  /** Relay jobs to enqueue: created now, or still pending from a redelivered capture. */
  relayJobIds: number[];
  poisonStored: number;
}

function compute<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw new ProcessingError(error);
  }
}

/**
 * The pipeline needs only `transaction` and `execute`: a drizzle instance without the relational
 * schema, which drizzle would otherwise index anew for every batch's instance.
 */
export type PipelineDatabase = NeonDatabase<Record<string, never>>;

/** Runs one of the pipeline's statements, prepared: their texts depend only on which stages have rows. */
async function single(tx: object, statement: SQL): Promise<unknown> {
  const result = await executePrepared(tx, statement);
  const row = result.rows[0];
  return row ? Object.values(row)[0] : undefined;
}

/** Stages 1–6 for one capture: nothing here reads the database beyond the catalog. */
function prepare(message: CaptureMessage, ord: number, catalog: BatchCatalog): PreparedCapture {
  const crawler = detectCaptureCrawler(message);
  const validated = validateCapture(message, catalog);
  const partner = validated.refs.partnerId === null ? undefined : catalog.partner(validated.refs.partnerId);
  const ruleId = message.edge.ruleId;
  return {
    message,
    ord,
    receivedAt: new Date(message.receivedAt),
    crawler,
    errors: validated.errors,
    refs: validated.refs,
    ruleId: ruleId !== null && catalog.hasRule(ruleId) ? ruleId : null,
    email: validated.email ? emailIdentity(validated.email) : null,
    geo: captureGeo(message),
    marketing: captureMarketing(message, partner ?? null),
    httpLog: captureHttpLog(message),
  };
}

function captureOrder(a: CaptureMessage, b: CaptureMessage): number {
  const time = Date.parse(a.receivedAt) - Date.parse(b.receivedAt);
  if (time !== 0) return time;
  return a.captureId < b.captureId ? -1 : a.captureId > b.captureId ? 1 : 0;
}

function identityStatement(captures: readonly PreparedCapture[]): SQL {
  const input = captures.map((capture) => ({
    capture_id: capture.message.captureId,
    ord: capture.ord,
    sha256: capture.email?.sha256 ?? null,
    address: capture.email?.address ?? null,
    domain: capture.email?.domain ?? null,
    md5: capture.email?.md5 ?? null,
    brand_id: capture.refs.brandId,
    contact: wantsContact(capture),
  }));
  const ids = captures.map((capture) => capture.message.captureId);
  const ctes: Cte[] = [
    {
      name: "batch",
      body: sql`SELECT * FROM ${recordset(
        input,
        "capture_id uuid, ord integer, sha256 text, address text, domain text, md5 text, brand_id bigint, contact boolean",
      )}`,
    },
    {
      name: "stored",
      body: sql`SELECT c.id, c.email_id FROM captures c WHERE c.id = ANY(${pgArray(ids)}::uuid[])`,
    },
    { name: "fresh", body: sql`SELECT * FROM batch WHERE capture_id NOT IN (SELECT id FROM stored)` },
    emailsUpsert,
    contactsUpsert,
    relationshipsUpsert,
    knownEmails,
    knowledgeSnapshot,
  ];
  return withCtes(
    ctes,
    sql`SELECT jsonb_build_object(
      'stored', (SELECT coalesce(jsonb_agg(id), '[]'::jsonb) FROM stored),
      'emails', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', email_id, 'sha256', sha256)), '[]'::jsonb) FROM known),
      'contacts', (SELECT coalesce(jsonb_agg(jsonb_build_object(
          'id', id, 'emailId', email_id, 'firstCaptureId', first_capture_id)), '[]'::jsonb) FROM co),
      'relationships', (SELECT coalesce(jsonb_agg(jsonb_build_object(
          'id', id, 'contactId', contact_id, 'brandId', brand_id, 'state', state,
          'firstCaptureId', first_capture_id, 'restoreCount', restore_count)), '[]'::jsonb) FROM rel),
      'snapshot', (SELECT coalesce(jsonb_agg(jsonb_build_object(
          'emailId', email_id, 'contactId', contact_id, 'brands', brands)), '[]'::jsonb) FROM snapshot),
      'pendingJobs', (${pendingRelayJobs})
    ) AS identity`,
  );
}

const relationshipState = z.enum(["active", "unsubscribed", "restored"]);
const identitySchema = z.object({
  stored: z.array(z.string()),
  emails: z.array(z.object({ id: z.number().int(), sha256: z.string() })),
  contacts: z.array(
    z.object({ id: z.number().int(), emailId: z.number().int(), firstCaptureId: z.string().nullable() }),
  ),
  relationships: z.array(
    z.object({
      id: z.number().int(),
      contactId: z.number().int(),
      brandId: z.number().int(),
      state: relationshipState,
      firstCaptureId: z.string().nullable(),
      restoreCount: z.number().int(),
    }),
  ),
  snapshot: z.array(
    z.object({
      emailId: z.number().int(),
      contactId: z.number().int(),
      brands: z.array(z.tuple([z.number().int(), relationshipState])),
    }),
  ),
  pendingJobs: z.array(z.number().int()),
});
type Identity = z.infer<typeof identitySchema>;
/** Built once: a zod schema is costly to construct, and the write statement runs for every batch. */
const writeResultSchema = z.object({ jobs: z.array(z.number().int()), failed: z.number().int() });

interface Decision {
  fresh: DecidedCapture[];
  redelivered: string[];
  knowledge: Map<string, EmailKnowledge>;
  write: Cte[];
  pendingJobs: number[];
}

/** Stages 9, 7, 8 and 10 over what the identity statement returned: pure. */
function decide(prepared: readonly PreparedCapture[], identity: Identity, catalog: BatchCatalog): Decision {
  const storedIds = new Set(identity.stored);
  const fresh = prepared.filter((capture) => !storedIds.has(capture.message.captureId));
  const freshIds = new Set(fresh.map((capture) => capture.message.captureId));
  const emailIdBySha = new Map(identity.emails.map((email) => [email.sha256, email.id]));
  const contactOfEmail = new Map<number, number>();
  const committedBrands = new Map<number, [number, RelationshipState][]>();
  for (const row of identity.snapshot) {
    contactOfEmail.set(row.emailId, row.contactId);
    committedBrands.set(row.contactId, row.brands);
  }
  const createdContacts = new Set<number>();
  for (const contact of identity.contacts) {
    contactOfEmail.set(contact.emailId, contact.id);
    if (contact.firstCaptureId !== null && freshIds.has(contact.firstCaptureId))
      createdContacts.add(contact.id);
  }
  const relationships = new Map<string, LockedRelationship>();
  for (const row of identity.relationships) {
    const created = row.firstCaptureId !== null && freshIds.has(row.firstCaptureId);
    relationships.set(`${row.contactId}:${row.brandId}`, {
      id: row.id,
      contactId: row.contactId,
      brandId: row.brandId,
      stateBefore: created ? null : row.state,
      restoreCountBefore: row.restoreCount,
    });
  }
  const contactOfSha = (sha256: string): number | undefined => {
    const emailId = emailIdBySha.get(sha256);
    return emailId === undefined ? undefined : contactOfEmail.get(emailId);
  };
  const classified = classifyCaptures(fresh, (sha256, brandId) => {
    const contactId = contactOfSha(sha256);
    if (contactId === undefined) return null;
    return relationships.get(`${contactId}:${brandId}`)?.stateBefore ?? null;
  });
  const decided: DecidedCapture[] = fresh.map((capture, index) => {
    const verdict = classified[index];
    if (!verdict) throw new Error("classification lost a capture");
    const accepted =
      verdict.outcome === "new" || verdict.outcome === "duplicate" || verdict.outcome === "restored";
    const emailId = capture.email ? (emailIdBySha.get(capture.email.sha256) ?? null) : null;
    const contactId = accepted && capture.email ? (contactOfSha(capture.email.sha256) ?? null) : null;
    if (accepted && contactId === null) throw new Error("an accepted capture has no contact");
    return {
      ...capture,
      outcome: verdict.outcome,
      stateBefore: verdict.stateBefore,
      stateAfter: verdict.stateAfter,
      emailId,
      contactId,
      relayJobs: planCaptureRelays(capture, verdict.outcome, catalog),
    };
  });
  const relationshipOf = (capture: DecidedCapture): LockedRelationship | undefined =>
    capture.contactId === null || capture.refs.brandId === null
      ? undefined
      : relationships.get(`${capture.contactId}:${capture.refs.brandId}`);
  const updates = relationshipUpdates(decided, relationshipOf);
  const finalState = new Map(updates.map((update) => [update.id, update.state]));
  const batchBrands = new Map<number, [number, RelationshipState][]>();
  for (const relationship of relationships.values()) {
    const state = finalState.get(relationship.id) ?? relationship.stateBefore;
    if (state === null) continue;
    const list = batchBrands.get(relationship.contactId) ?? [];
    list.push([relationship.brandId, state]);
    batchBrands.set(relationship.contactId, list);
  }
  const knowledge = knowledgeAfter({
    emails: identity.emails,
    contactOfEmail: (emailId) => contactOfEmail.get(emailId),
    committedBrands: (contactId) => committedBrands.get(contactId) ?? [],
    batchBrands: (contactId) => batchBrands.get(contactId) ?? [],
  });
  const flags = knowledgeRows(decided, knowledge);
  const redelivered = prepared.filter((capture) => storedIds.has(capture.message.captureId));
  const stale = new Set<string>();
  for (const capture of redelivered) if (capture.email) stale.add(capture.email.sha256);
  decided.forEach((capture, index) => {
    if (capture.email && flags[index]?.edge_level !== flags[index]?.after_level)
      stale.add(capture.email.sha256);
  });
  const write = [
    capturesInsert(decided),
    fieldErrorsInsert(decided),
    geoInsert(decided),
    marketingInsert(decided),
    lateConversionsAttach(decided),
    httpLogInsert(decided),
    relationshipsUpdate(updates),
    contactEventsInsert(contactEventRows(decided, createdContacts, relationshipOf)),
    knowledgeInsert(flags),
    relayJobsInsert(decided),
  ].filter((cte): cte is Cte => cte !== null);
  return {
    fresh: decided,
    redelivered: redelivered.map((capture) => capture.message.captureId),
    knowledge: new Map([...knowledge].filter(([sha256]) => stale.has(sha256))),
    write,
    pendingJobs: identity.pendingJobs,
  };
}

function emptyOutcomes(): Record<CaptureOutcome, number> {
  return { new: 0, duplicate: 0, restored: 0, invalid: 0, bot: 0 };
}

/**
 * Runs the pipeline over distinct captures (one message per capture id) and poison
 * messages, in one transaction. Throws on any failure; nothing is then written.
 */
export async function runCapturePipeline(
  db: PipelineDatabase,
  input: PipelineInput,
): Promise<PipelineResult> {
  return db.transaction(async (tx) => {
    const result: PipelineResult = {
      written: [],
      redelivered: [],
      outcomes: emptyOutcomes(),
      knowledge: new Map(),
      relayJobIds: [],
      poisonStored: 0,
    };
    const write: Cte[] = [];
    if (input.captures.length > 0) {
      const messages = [...input.captures].sort(captureOrder);
      const catalogValue = await single(tx, catalogQuery(messages));
      const catalog = compute(() => parseCatalog(catalogValue));
      const prepared = compute(() => messages.map((message, ord) => prepare(message, ord, catalog)));
      const identityValue = await single(tx, identityStatement(prepared));
      const decision = compute(() => decide(prepared, identitySchema.parse(identityValue), catalog));
      write.push(...decision.write);
      result.written = decision.fresh.map((capture) => capture.message.captureId);
      result.redelivered = decision.redelivered;
      result.knowledge = decision.knowledge;
      result.relayJobIds.push(...decision.pendingJobs);
      for (const capture of decision.fresh) result.outcomes[capture.outcome] += 1;
    }
    const poison = failedEventsInsert(input.poison);
    if (poison) write.push(poison);
    if (write.length > 0) {
      const names = new Set(write.map((cte) => cte.name));
      const jobs = names.has("relay_job")
        ? sql`(SELECT coalesce(jsonb_agg(id ORDER BY id), '[]'::jsonb) FROM relay_job)`
        : sql`'[]'::jsonb`;
      const failed = names.has("failed_event") ? sql`(SELECT count(*)::int FROM failed_event)` : sql`0`;
      const value = await single(
        tx,
        withCtes(write, sql`SELECT jsonb_build_object('jobs', ${jobs}, 'failed', ${failed})`),
      );
      const written = compute(() => writeResultSchema.parse(value));
      result.relayJobIds.push(...written.jobs);
      result.poisonStored = written.failed;
    }
    return result;
  });
}
