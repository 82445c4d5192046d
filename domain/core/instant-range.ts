/**
 * The instants leadrail accepts from outside (order, payment and refund times, email platform events,
 * list filters): from 1970-01-01 up to the end of 2099, UTC. Postgres has no year 0 (ISO 8601's `0000`),
 * and nothing a CRM records happened outside that range, so a wrong clock or a typo is refused naming its
 * field instead of failing the write it would reach.
 */
export const instantRange = { from: Date.UTC(1970, 0, 1), until: Date.UTC(2100, 0, 1) } as const;

/** Whether `ms` (a Unix time in milliseconds, NaN for none) lies within {@link instantRange}. */
export const isRecordableInstant = (ms: number): boolean =>
  ms >= instantRange.from && ms < instantRange.until;

/**
 * Whether the instant `text` names lies outside {@link instantRange}; false for text that names no
 * instant at all, which its format check reports (one error per field, not two).
 */
export function outsideInstantRange(text: string): boolean {
  const ms = Date.parse(text);
  return !Number.isNaN(ms) && !isRecordableInstant(ms);
}

export const instantRangeMessage = "Must be between 1970-01-01 and 2099-12-31 (UTC).";
