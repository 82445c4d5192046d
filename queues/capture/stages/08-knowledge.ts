import { sql } from "drizzle-orm";
import { type Cte, recordset } from "../../../db/sql.ts";
import type { RelationshipState } from "../../../domain/capture/outcome.ts";
import {
  type KnowledgeFlags,
  type KnowledgeLevel,
  knowledgeFlags,
  knowledgeLevel,
} from "../../../domain/contacts/knowledge.ts";
import { publishKnowledge } from "../../../domain/contacts/knowledge-index.ts";
import type { DecidedCapture } from "../types.ts";

/**
 * Stage 8, knowledge flags. In the identity statement, `known` lists every email of the
 * batch (including those of already-stored captures, whose knowledge is republished) and
 * `snapshot` their contacts' brand relationships as committed before this batch.
 */
export const knownEmails: Cte = {
  name: "known",
  body: sql`SELECT em.id AS email_id, em.sha256 FROM em
    UNION
    SELECT e.id, e.sha256 FROM stored s JOIN emails e ON e.id = s.email_id`,
};

export const knowledgeSnapshot: Cte = {
  name: "snapshot",
  body: sql`SELECT k.email_id, c.id AS contact_id,
      coalesce(jsonb_agg(jsonb_build_array(cb.brand_id, cb.state)) FILTER (WHERE cb.id IS NOT NULL), '[]'::jsonb)
        AS brands
    FROM known k
    JOIN contacts c ON c.email_id = k.email_id
    LEFT JOIN contact_brands cb ON cb.contact_id = c.id
    GROUP BY k.email_id, c.id`,
};

/** An email's knowledge after the batch: the value the KV index gets. */
export interface EmailKnowledge {
  sha256: string;
  /** `false` when the email has no contact: the edge then sees it as unknown. */
  hasContact: boolean;
  activeBrands: number[];
}

const activeStates: ReadonlySet<RelationshipState> = new Set(["active", "restored"]);

/**
 * Knowledge after the write, per email: the committed relationships of its contact, with
 * the ones this batch locked replaced by their state after the batch.
 */
export function knowledgeAfter(input: {
  emails: readonly { id: number; sha256: string }[];
  contactOfEmail: (emailId: number) => number | undefined;
  committedBrands: (contactId: number) => readonly [number, RelationshipState][];
  batchBrands: (contactId: number) => readonly [number, RelationshipState][];
}): Map<string, EmailKnowledge> {
  const result = new Map<string, EmailKnowledge>();
  for (const email of input.emails) {
    const contactId = input.contactOfEmail(email.id);
    if (contactId === undefined) {
      result.set(email.sha256, { sha256: email.sha256, hasContact: false, activeBrands: [] });
      continue;
    }
    const states = new Map(input.committedBrands(contactId));
    for (const [brandId, state] of input.batchBrands(contactId)) states.set(brandId, state);
    const activeBrands = [...states]
      .filter(([, state]) => activeStates.has(state))
      .map(([brandId]) => brandId)
      .sort((a, b) => a - b);
    result.set(email.sha256, { sha256: email.sha256, hasContact: true, activeBrands });
  }
  return result;
}

/** The flags a knowledge level stands for (the edge sends only the level). */
export function flagsOfLevel(level: KnowledgeLevel): KnowledgeFlags {
  return {
    known: level !== "unknown",
    knownActive: level === "known_active" || level === "known_active_same_brand",
    knownActiveSameBrand: level === "known_active_same_brand",
  };
}

export interface KnowledgeRow {
  capture_id: string;
  edge_level: KnowledgeLevel;
  edge_source: string;
  edge_known: boolean;
  edge_known_active: boolean;
  edge_known_active_same_brand: boolean;
  after_level: KnowledgeLevel;
  after_known: boolean;
  after_known_active: boolean;
  after_known_active_same_brand: boolean;
}

export function knowledgeRows(
  captures: readonly DecidedCapture[],
  after: ReadonlyMap<string, EmailKnowledge>,
): KnowledgeRow[] {
  return captures.map((capture) => {
    const edge = flagsOfLevel(capture.message.edge.knowledge);
    const entry = capture.email ? after.get(capture.email.sha256) : undefined;
    const brandId = capture.refs.brandId ?? capture.message.landing.brandId;
    const flags = knowledgeFlags(entry?.hasContact ? entry : null, brandId);
    return {
      capture_id: capture.message.captureId,
      edge_level: capture.message.edge.knowledge,
      edge_source: capture.message.edge.knowledgeSource,
      edge_known: edge.known,
      edge_known_active: edge.knownActive,
      edge_known_active_same_brand: edge.knownActiveSameBrand,
      after_level: knowledgeLevel(flags),
      after_known: flags.known,
      after_known_active: flags.knownActive,
      after_known_active_same_brand: flags.knownActiveSameBrand,
    };
  });
}

export function knowledgeInsert(rows: readonly KnowledgeRow[]): Cte | null {
  if (rows.length === 0) return null;
  const columns =
    "capture_id, edge_level, edge_source, edge_known, edge_known_active, edge_known_active_same_brand, after_level, after_known, after_known_active, after_known_active_same_brand";
  return {
    name: "knowledge",
    body: sql`INSERT INTO capture_knowledge (${sql.raw(columns)})
      SELECT ${sql.raw(columns)}
      FROM ${recordset(
        rows,
        "capture_id uuid, edge_level knowledge_level, edge_source text, edge_known boolean, edge_known_active boolean, edge_known_active_same_brand boolean, after_level knowledge_level, after_known boolean, after_known_active boolean, after_known_active_same_brand boolean",
      )}`,
  };
}

/**
 * After COMMIT: writes the KV index entries the edge routes by, from the values this batch
 * already holds (no second read). Emails without a contact get no entry, as in `loadKnowledge`.
 */
export async function publishBatchKnowledge(
  kv: KVNamespace,
  after: ReadonlyMap<string, EmailKnowledge>,
): Promise<number> {
  const entries = new Map<string, number[]>();
  for (const entry of after.values()) if (entry.hasContact) entries.set(entry.sha256, entry.activeBrands);
  await publishKnowledge(kv, entries);
  return entries.size;
}
