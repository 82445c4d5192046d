/**
 * The night of Article 50(3) in the recipient's own time zone: 21:00 up to (not including) 08:00 local
 * wall-clock time, and the instant the next 08:00 falls on. Plain `Intl.DateTimeFormat`, so daylight saving
 * time is the zone database's: a hold across a DST change ends at 08:00 of the new offset.
 */
export const nightStartsHour = 21;
export const nightEndsHour = 8;

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const dayMs = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `timeZone` at `instant` (whole seconds; throws a RangeError for an unknown zone). */
export function wallClockAt(timeZone: string, instant: number): WallClock {
  const clock: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterOf(timeZone).formatToParts(instant))
    if (part.type in clock) clock[part.type as keyof WallClock] = Number(part.value);
  return clock;
}

/** How far the zone's wall clock is ahead of UTC at `instant`, in milliseconds. */
function offsetAt(timeZone: string, instant: number): number {
  const wall = wallClockAt(timeZone, instant);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant the wall clock of `timeZone` shows `hour`:00 on the given local date, disambiguated as
 * Temporal's `compatible` does: a time repeated by a fall-back change is its first occurrence, a time
 * skipped by a spring-forward change is read at the offset before the change (02:30 in a gap from 02:00
 * to 03:00 is 03:30). No zone changes its offset at 08:00 today, so the night hold meets neither.
 */
export function instantOfLocal(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
): number {
  const wall = Date.UTC(year, month - 1, day, hour);
  // The offsets a day either side: equal unless a change lies near, and zones change at most twice a year.
  const before = wall - offsetAt(timeZone, wall - dayMs);
  const after = wall - offsetAt(timeZone, wall + dayMs);
  for (const candidate of before <= after ? [before, after] : [after, before])
    if (offsetAt(timeZone, candidate) === wall - candidate) return candidate;
  return before;
}

/** Whether `instant` is in the night (21:00 ≤ local time < 08:00) of `timeZone`. */
export function isNight(timeZone: string, instant: number): boolean {
  const { hour } = wallClockAt(timeZone, instant);
  return hour >= nightStartsHour || hour < nightEndsHour;
}

/**
 * The first 08:00 in `timeZone` after `instant`, for an instant in the night: the same local day's 08:00
 * before it, the next local day's from 21:00.
 */
export function nightEndAfter(timeZone: string, instant: number): Date {
  const wall = wallClockAt(timeZone, instant);
  const dayAhead = wall.hour >= nightStartsHour ? 1 : 0;
  const date = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + dayAhead));
  return new Date(
    instantOfLocal(timeZone, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), nightEndsHour),
  );
}
