/** The days a dashboard tab reads: `days` UTC days ending at `to` (inclusive), oldest first. */
export interface DayWindow {
  from: string;
  to: string;
  days: string[];
}

const dayMs = 86_400_000;

/** Yesterday in UTC: the latest day the nightly `daily-revenue` job has written. */
export function latestCompleteDay(now: Date): string {
  return new Date(Math.floor(now.getTime() / dayMs) * dayMs - dayMs).toISOString().slice(0, 10);
}

export function dayWindow(to: string, days: number): DayWindow {
  const end = Date.parse(`${to}T00:00:00Z`);
  const list: string[] = [];
  for (let i = days - 1; i >= 0; i--) list.push(new Date(end - i * dayMs).toISOString().slice(0, 10));
  return { from: list[0] ?? to, to, days: list };
}

/** The currency a brand's page shows: the one asked for when the brand has it, else the one with most orders. */
export function chooseCurrency(
  ordersByCurrency: ReadonlyMap<string, number>,
  asked: string | undefined,
): string | null {
  if (asked !== undefined && ordersByCurrency.has(asked)) return asked;
  let best: string | null = null;
  let most = -1;
  for (const [currency, orders] of [...ordersByCurrency].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (orders > most) {
      best = currency;
      most = orders;
    }
  }
  return best;
}
