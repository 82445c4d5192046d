import { sql } from "drizzle-orm";
import type { Cte } from "../../../db/sql.ts";
import { emailHashes, type NormalisedEmail } from "../../../domain/contacts/email.ts";
import type { EmailIdentity } from "../types.ts";

/**
 * Stage 3, email normalisation and dedup: the normalised address (lower-case, trimmed,
 * provider rules) with its SHA-256 and MD5. Every address is stored once, globally.
 */
export function emailIdentity(email: NormalisedEmail): EmailIdentity {
  return { address: email.address, domain: email.domain, ...emailHashes(email.address) };
}

/**
 * Part of the identity statement: upserts the batch's addresses (CTE `fresh` holds the
 * captures not stored before) and returns every id. `DO UPDATE` rather than `DO NOTHING`
 * so an address another batch committed a moment ago still returns its id; rows go in
 * hash order so concurrent batches lock them in the same order.
 */
export const emailsUpsert: Cte = {
  name: "em",
  body: sql`INSERT INTO emails AS e (address, domain, sha256, md5)
    SELECT DISTINCT ON (f.sha256) f.address, f.domain, f.sha256, f.md5
      FROM fresh f WHERE f.sha256 IS NOT NULL ORDER BY f.sha256
    ON CONFLICT (sha256) DO UPDATE SET sha256 = EXCLUDED.sha256
    RETURNING e.id, e.sha256`,
};
