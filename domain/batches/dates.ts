/**
 * The day a batch run works on: a calendar date in UTC, written `YYYY-MM-DD` (the form Postgres `date`
 * reads and prints). A scheduled run works on the day before the one it fires in, so a job that fires at
 * 00:10 UTC sees the whole of yesterday; a job may pick its own day instead (BatchJob.dateFor).
 */
export type BatchDate = string;

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const dayMs = 86_400_000;

/** The longest range `npm run batch` accepts in one call (a year and a day). */
export const maxBatchRangeDays = 366;

/** `value` as a BatchDate, or `null` when it is not a real calendar date `YYYY-MM-DD`. */
export function parseBatchDate(value: string): BatchDate | null {
  const match = datePattern.exec(value);
  if (!match) return null;
  const instant = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(instant.getTime()) || instant.toISOString().slice(0, 10) !== value) return null;
  return value;
}

/** The UTC date an instant falls on. */
export const utcDateOf = (instant: Date): BatchDate => instant.toISOString().slice(0, 10);

/** The first instant of `date` (00:00 UTC). */
export const startOfDate = (date: BatchDate): Date => new Date(`${date}T00:00:00Z`);

/** The first instant after `date` (00:00 UTC of the next day): "before the end of the date" is `< endOfDate`. */
export const endOfDate = (date: BatchDate): Date => new Date(startOfDate(date).getTime() + dayMs);

/** `date` moved by `days` (negative: earlier). */
export const addDays = (date: BatchDate, days: number): BatchDate =>
  utcDateOf(new Date(startOfDate(date).getTime() + days * dayMs));

/** The date a scheduled run fired at `scheduledTime` works on by default: the previous day in UTC. */
export const previousUtcDate = (scheduledTime: Date): BatchDate => addDays(utcDateOf(scheduledTime), -1);

/**
 * Every date from `from` to `to`, both included, oldest first. Refused (RangeError) when `to` is before
 * `from` or the range is longer than `maxDays`.
 */
export function dateRange(from: BatchDate, to: BatchDate, maxDays = maxBatchRangeDays): BatchDate[] {
  const days = Math.round((startOfDate(to).getTime() - startOfDate(from).getTime()) / dayMs) + 1;
  if (days < 1) throw new RangeError(`the range ends (${to}) before it starts (${from})`);
  if (days > maxDays) throw new RangeError(`the range holds ${days} days; at most ${maxDays} at once`);
  return Array.from({ length: days }, (_, index) => addDays(from, index));
}
