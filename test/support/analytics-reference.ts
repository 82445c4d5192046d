import type { RawRows } from "./analytics.ts";
import { ids } from "./api.ts";

/*
 * The analytics figures computed the plain way, over the raw rows (test/support/analytics.ts), straight
 * from the definitions in domain/analytics/README.md and independent of the SQL: loops, maps and
 * sorting in TypeScript. Each returns the `data` of its endpoint's response.
 */

export interface Window {
  from?: number;
  to?: number;
  asOf: number;
}

type Order = RawRows["orders"][number];

const day = 86_400_000;

const inRange = (at: number, w: Window) =>
  (w.from === undefined || at >= w.from) && (w.to === undefined || at < w.to);

/** Round half away from zero of n / d, on BigInt. */
function rounded(n: number, d: number): number {
  const bn = BigInt(n);
  const bd = BigInt(d);
  const sign = bn < 0n !== bd < 0n ? -1n : 1n;
  const an = bn < 0n ? -bn : bn;
  const ad = bd < 0n ? -bd : bd;
  const q = an / ad;
  const r = an - q * ad;
  return Number(sign * (2n * r >= ad ? q + 1n : q));
}
const avg = (n: number, d: number): number | null => (d === 0 ? null : rounded(n, d));
const rate = (n: number, d: number): number | null => (d === 0 ? null : rounded(n * 10_000, d) / 10_000);

const monthIndex = (at: number) => {
  const date = new Date(at);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
};
const monthText = (index: number) => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;

/** The counted orders (placed before as_of, never cancelled) of each account, first first. */
function accountsOf(raw: RawRows, w: Window): Map<number, Order[]> {
  const byAccount = new Map<number, Order[]>();
  for (const order of raw.orders) {
    if (order.cancelled || order.placedAt >= w.asOf) continue;
    const list = byAccount.get(order.accountId) ?? [];
    list.push(order);
    byAccount.set(order.accountId, list);
  }
  for (const list of byAccount.values()) list.sort((a, b) => a.placedAt - b.placedAt || a.id - b.id);
  return byAccount;
}

const net = (o: Order) => o.total - o.creditedTotal;

export function referenceLtv(raw: RawRows, w: Window) {
  const last = monthIndex(w.asOf - 1);
  const cohorts = new Map<
    string,
    { currency: string; cohort: number; customers: number; byMonth: Map<number, number> }
  >();
  for (const orders of accountsOf(raw, w).values()) {
    const first = orders[0];
    if (!first || !inRange(first.placedAt, w)) continue;
    const key = `${first.currency}|${monthIndex(first.placedAt)}`;
    const cohort = cohorts.get(key) ?? {
      currency: first.currency,
      cohort: monthIndex(first.placedAt),
      customers: 0,
      byMonth: new Map(),
    };
    cohort.customers += 1;
    for (const o of orders) {
      const k = monthIndex(o.placedAt) - cohort.cohort;
      cohort.byMonth.set(k, (cohort.byMonth.get(k) ?? 0) + net(o));
    }
    cohorts.set(key, cohort);
  }
  return [...cohorts.values()]
    .sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : a.cohort - b.cohort))
    .map((c) => {
      let cumulative = 0;
      const months = [];
      for (let k = 0; k <= last - c.cohort; k += 1) {
        const month = c.byMonth.get(k) ?? 0;
        cumulative += month;
        months.push({
          months_since: k,
          net_revenue: month,
          cumulative_net_revenue: cumulative,
          ltv: rounded(cumulative, c.customers),
        });
      }
      return { currency: c.currency, acquisition_month: monthText(c.cohort), customers: c.customers, months };
    });
}

interface RoiCell {
  orders: number;
  accounts: Set<number>;
  revenue: number;
  refunds: number;
  discount: number;
}

function roiRow(cell: RoiCell) {
  const netRevenue = cell.revenue - cell.refunds;
  return {
    orders: cell.orders,
    customers: cell.accounts.size,
    revenue: cell.revenue,
    refunds: cell.refunds,
    net_revenue: netRevenue,
    discount_cost: cell.discount,
    roi: rate(netRevenue - cell.discount, cell.discount),
  };
}

/** Each counted order in the range with whether it was its account's first. */
function ordersInRange(raw: RawRows, w: Window): { order: Order; type: "new" | "existing" }[] {
  const out: { order: Order; type: "new" | "existing" }[] = [];
  for (const orders of accountsOf(raw, w).values())
    orders.forEach((order, index) => {
      if (inRange(order.placedAt, w)) out.push({ order, type: index === 0 ? "new" : "existing" });
    });
  return out;
}

const byKeys = <T>(rows: T[], key: (row: T) => (string | number)[]) =>
  rows.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i += 1) {
      const x = ka[i] as string | number;
      const y = kb[i] as string | number;
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });

function addTo(cells: Map<string, RoiCell>, key: string, order: Order, discount: number) {
  const cell = cells.get(key) ?? { orders: 0, accounts: new Set(), revenue: 0, refunds: 0, discount: 0 };
  cell.orders += 1;
  cell.accounts.add(order.accountId);
  cell.revenue += order.total;
  cell.refunds += order.creditedTotal;
  cell.discount += discount;
  cells.set(key, cell);
}

export function referenceCouponRoi(raw: RawRows, w: Window) {
  const cells = new Map<string, RoiCell>();
  for (const { order, type } of ordersInRange(raw, w))
    for (const use of raw.orderCoupons.filter((c) => c.orderId === order.id))
      addTo(cells, `${use.couponId}|${order.currency}|${type}`, order, use.discount);
  const rows = [...cells].map(([key, cell]) => {
    const [coupon, currency, type] = key.split("|") as [string, string, string];
    const code = raw.coupons.get(Number(coupon)) ?? "";
    return {
      coupon: { id: ids.encode("coupon", Number(coupon)), code },
      currency,
      customer_type: type,
      ...roiRow(cell),
      _id: Number(coupon),
    };
  });
  return byKeys(rows, (r) => [r.coupon.code, r._id, r.currency, r.customer_type === "new" ? 0 : 1]).map(
    ({ _id, ...row }) => row,
  );
}

export function referenceCampaignRoi(raw: RawRows, w: Window) {
  const cells = new Map<string, RoiCell>();
  for (const { order, type } of ordersInRange(raw, w))
    if (order.campaignId !== null)
      addTo(cells, `${order.campaignId}|${order.currency}|${type}`, order, order.discountTotal);
  const rows = [...cells].map(([key, cell]) => {
    const [campaign, currency, type] = key.split("|") as [string, string, string];
    const found = raw.campaigns.get(Number(campaign)) ?? { code: "", name: "" };
    return {
      campaign: { id: ids.encode("campaign", Number(campaign)), code: found.code, name: found.name },
      currency,
      customer_type: type,
      ...roiRow(cell),
      _id: Number(campaign),
    };
  });
  return byKeys(rows, (r) => [r.campaign.code, r._id, r.currency, r.customer_type === "new" ? 0 : 1]).map(
    ({ _id, ...row }) => row,
  );
}

export function referenceRetention(raw: RawRows, w: Window, by: "month" | "product" | "segment") {
  const last = monthIndex(w.asOf - 1);
  const cohorts = new Map<
    string,
    { cohort: number; key: string; customers: number; active: Map<number, number> }
  >();
  for (const [accountId, orders] of accountsOf(raw, w)) {
    const first = orders[0];
    if (!first || !inRange(first.placedAt, w)) continue;
    const cohort = monthIndex(first.placedAt);
    const keys =
      by === "month"
        ? ["0"]
        : by === "product"
          ? [...new Set(raw.orderItems.filter((i) => i.orderId === first.id).map((i) => String(i.productId)))]
          : [raw.segments.get(accountId) ?? ""];
    const months = new Set(orders.map((o) => monthIndex(o.placedAt) - cohort));
    for (const key of keys) {
      const id = `${cohort}|${key}`;
      const entry = cohorts.get(id) ?? { cohort, key, customers: 0, active: new Map() };
      entry.customers += 1;
      for (const k of months) entry.active.set(k, (entry.active.get(k) ?? 0) + 1);
      cohorts.set(id, entry);
    }
  }
  const sortKey = (key: string) => (by === "product" ? Number(key) : key);
  return byKeys([...cohorts.values()], (c) => [c.cohort, sortKey(c.key)]).map((c) => {
    const months = [];
    for (let k = 0; k <= last - c.cohort; k += 1) {
      const active = c.active.get(k) ?? 0;
      months.push({ months_since: k, active, rate: rate(active, c.customers) });
    }
    const product = raw.products.get(Number(c.key));
    return {
      first_order_month: monthText(c.cohort),
      ...(by === "product" && product
        ? { product: { id: ids.encode("product", Number(c.key)), sku: product.sku, name: product.name } }
        : {}),
      ...(by === "segment" ? { segment: c.key === "" ? null : c.key } : {}),
      customers: c.customers,
      months,
    };
  });
}

interface Group {
  customers: number;
  orders: number;
  net: number;
  repeat: number;
  horizons: Map<number, { customers: number; net: number }>;
}

export function referenceAcquisition(raw: RawRows, w: Window) {
  const horizons = [90, 180, 365];
  const sources = new Map<string, Group>();
  const influencers = new Map<string, Group>();
  const add = (groups: Map<string, Group>, key: string, orders: Order[], first: Order) => {
    const g = groups.get(key) ?? { customers: 0, orders: 0, net: 0, repeat: 0, horizons: new Map() };
    g.customers += 1;
    g.orders += orders.length;
    g.net += orders.reduce((sum, o) => sum + net(o), 0);
    if (orders.length >= 2) g.repeat += 1;
    for (const days of horizons) {
      const h = g.horizons.get(days) ?? { customers: 0, net: 0 };
      if (first.placedAt + days * day <= w.asOf) {
        h.customers += 1;
        h.net += orders
          .filter((o) => o.placedAt < first.placedAt + days * day)
          .reduce((s, o) => s + net(o), 0);
      }
      g.horizons.set(days, h);
    }
    groups.set(key, g);
  };
  for (const [accountId, orders] of accountsOf(raw, w)) {
    const first = orders[0];
    if (!first || !inRange(first.placedAt, w)) continue;
    const acquisition = raw.acquisition.get(accountId);
    add(sources, `${acquisition?.source ?? "unclassified"}|${first.currency}`, orders, first);
    if (acquisition?.influencerId)
      add(influencers, `${acquisition.influencerId}|${first.currency}`, orders, first);
  }
  const figures = (g: Group) => ({
    customers: g.customers,
    orders: g.orders,
    net_revenue: g.net,
    aov: avg(g.net, g.orders),
    repeat_customers: g.repeat,
    repeat_rate: rate(g.repeat, g.customers),
    ltv: horizons.map((days) => {
      const h = g.horizons.get(days) ?? { customers: 0, net: 0 };
      return { days, customers: h.customers, net_revenue: h.net, ltv: avg(h.net, h.customers) };
    }),
  });
  return {
    sources: byKeys([...sources], ([key]) => key.split("|")).map(([key, g]) => {
      const [source, currency] = key.split("|") as [string, string];
      return { source, currency, ...figures(g) };
    }),
    influencers: byKeys([...influencers], ([key]) => {
      const [id, currency] = key.split("|") as [string, string];
      return [raw.influencers.get(Number(id))?.name ?? "", Number(id), currency];
    }).map(([key, g]) => {
      const [id, currency] = key.split("|") as [string, string];
      const influencer = raw.influencers.get(Number(id));
      return {
        influencer: {
          id: ids.encode("influencer", Number(id)),
          name: influencer?.name ?? "",
          handle: influencer?.handle ?? null,
        },
        currency,
        ...figures(g),
      };
    }),
  };
}

/** Fibonacci hashing of the account id modulo 2^32, on BigInt. */
const sampleKey = (accountId: number) => ((BigInt(accountId) % 2n ** 31n) * 2_654_435_761n) % 2n ** 32n;

export function referenceScatter(raw: RawRows, w: Window, points: number) {
  const customers = new Map<number, { currency: string; frequency: number; monetary: number }>();
  for (const o of raw.orders) {
    if (o.cancelled || o.placedAt >= w.asOf || !inRange(o.placedAt, w)) continue;
    const c = customers.get(o.accountId) ?? { currency: o.currency, frequency: 0, monetary: 0 };
    c.frequency += 1;
    c.monetary += net(o);
    customers.set(o.accountId, c);
  }
  const sample = [...customers.keys()]
    .sort((a, b) => {
      const ka = sampleKey(a);
      const kb = sampleKey(b);
      return ka < kb ? -1 : ka > kb ? 1 : a - b;
    })
    .slice(0, points);
  const sampled = new Set(sample);
  const totals = new Map<
    string,
    { customers: number; orders: number; net_revenue: number; points: number }
  >();
  for (const [id, c] of customers) {
    const t = totals.get(c.currency) ?? { customers: 0, orders: 0, net_revenue: 0, points: 0 };
    t.customers += 1;
    t.orders += c.frequency;
    t.net_revenue += c.monetary;
    if (sampled.has(id)) t.points += 1;
    totals.set(c.currency, t);
  }
  return {
    points: byKeys(
      sample.map((id) => {
        const c = customers.get(id) ?? { currency: "", frequency: 0, monetary: 0 };
        return { id, currency: c.currency, frequency: c.frequency, monetary: c.monetary };
      }),
      (p) => [p.currency, p.id],
    ).map((p) => ({
      account: ids.encode("account", p.id),
      currency: p.currency,
      frequency: p.frequency,
      monetary: p.monetary,
    })),
    totals: byKeys([...totals], ([currency]) => [currency]).map(([currency, t]) => ({ currency, ...t })),
  };
}
