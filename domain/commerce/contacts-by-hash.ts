import { type SQL, sql } from "drizzle-orm";
import { emailHashes, isNormalisedEmail, normaliseEmail } from "../contacts/email.ts";

/** An event's email as the identity tables store it: normalised, with its hashes. */
export interface EmailRow {
  address: string;
  domain: string;
  sha256: string;
  md5: string;
}

/** The columns {@link emailRowOf} fills, for a recordset. */
export const emailColumns = "address text, domain text, sha256 char(64), md5 char(32)";

/** The event's email normalised and hashed, or the `failed` error naming it when it does not normalise. */
export function emailRowOf(raw: string): { row: EmailRow; error?: undefined } | { error: string } {
  const email = normaliseEmail(raw);
  if (!isNormalisedEmail(email)) return { error: `email: not a usable address (${email}).` };
  return { row: { address: email.address, domain: email.domain, ...emailHashes(email.address) } };
}

/**
 * The CTEs `em (id, sha256)` and `ct (id, sha256, email_id)` finding or creating the email and the contact
 * of every row of `input` with an `address` (its columns: {@link emailColumns}), and finding those of a row
 * with only a `sha256` (a stored payload's `email_sha256`) when that email is known. For one set-based
 * statement. A row another transaction created meanwhile is not in the statement's snapshot and is missing
 * from `ct`: the caller compares counts of the rows with an address and throws RetryableConflict.
 */
export const contactsByHash = (input: string): SQL => sql`
      em_new AS (
        INSERT INTO emails (address, domain, sha256, md5)
        SELECT DISTINCT ON (sha256) address, domain, sha256, md5 FROM ${sql.raw(input)}
         WHERE address IS NOT NULL ORDER BY sha256
        ON CONFLICT DO NOTHING
        RETURNING id, sha256
      ),
      em AS (
        SELECT id, sha256 FROM em_new
        UNION ALL
        SELECT e.id, e.sha256 FROM emails e WHERE e.sha256 IN (SELECT sha256 FROM ${sql.raw(input)})
      ),
      ct_new AS (
        INSERT INTO contacts (email_id)
        SELECT id FROM em
        ON CONFLICT (email_id) DO NOTHING
        RETURNING id, email_id
      ),
      ct AS (
        SELECT ct_new.id, em.sha256, em.id AS email_id FROM ct_new JOIN em ON em.id = ct_new.email_id
        UNION ALL
        SELECT c.id, em.sha256, em.id AS email_id FROM contacts c JOIN em ON em.id = c.email_id
      )`;
