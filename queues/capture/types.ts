import type { CrawlerVerdict } from "../../domain/capture/crawler.ts";
import type { FieldError, LandingIds } from "../../domain/capture/field-validation.ts";
import type { CaptureGeo } from "../../domain/capture/geo.ts";
import type { CaptureMarketing } from "../../domain/capture/marketing.ts";
import type { CaptureOutcome, RelationshipState } from "../../domain/capture/outcome.ts";
import type { PlannedRelayJob } from "../../domain/relay/dispatch.ts";
import type { CaptureMessage } from "./message.ts";
import type { CaptureHttpLog } from "./stages/06-http-log.ts";

/** A global email as stored: normalised address and the hashes that leave the database. */
export interface EmailIdentity {
  address: string;
  domain: string;
  sha256: string;
  md5: string;
}

/** A capture after the stages that need no database state (1–6). */
export interface PreparedCapture {
  message: CaptureMessage;
  /** Position in capture order: received time, then capture id (UUIDv7 sorts by time). */
  ord: number;
  receivedAt: Date;
  crawler: CrawlerVerdict;
  errors: FieldError[];
  /** Landing ids that exist in the database; the capture row references only these. */
  refs: LandingIds;
  /** The rule the edge used, when it still exists. */
  ruleId: number | null;
  email: EmailIdentity | null;
  geo: CaptureGeo;
  marketing: CaptureMarketing;
  httpLog: CaptureHttpLog;
}

/** Wants a contact: neither a bot nor invalid, with an email and a brand. */
export function wantsContact(capture: PreparedCapture): boolean {
  return (
    !capture.crawler.isBot &&
    capture.errors.length === 0 &&
    capture.email !== null &&
    capture.refs.brandId !== null
  );
}

/** A capture after the relationship stages (7–10) decided its fate. */
export interface DecidedCapture extends PreparedCapture {
  outcome: CaptureOutcome;
  stateBefore: RelationshipState | null;
  stateAfter: RelationshipState | null;
  emailId: number | null;
  contactId: number | null;
  relayJobs: PlannedRelayJob[];
}
