import { ok } from "./api.ts";
import type { SalesTenant } from "./sales.ts";

/** Runs the classification through the API, chunk after chunk, until its cursor runs out; the totals. */
export async function classifyAll(key: string, body: Record<string, unknown> = {}, limit = 2) {
  let cursor: string | null = null;
  let changed = 0;
  let examined = 0;
  let chunks = 0;
  do {
    const result: { changed: number; examined: number; next_cursor: string | null } = await ok(
      "POST",
      "/api/v1/acquisition/classify",
      { key, body: { ...body, limit, ...(cursor ? { cursor } : {}) } },
    );
    changed += result.changed;
    examined += result.examined;
    cursor = result.next_cursor;
    chunks += 1;
  } while (cursor !== null);
  return { changed, examined, chunks };
}

/** Jane, an influencer of the tenant's brand with the coupon JANE10, and the rule that credits her coupon. */
export async function janeCouponRule(tenant: SalesTenant): Promise<void> {
  await ok("POST", "/api/v1/influencers", {
    key: tenant.key,
    body: { brand: tenant.brand.id, name: "Jane", coupon_codes: ["JANE10"] },
  });
  await ok("POST", "/api/v1/acquisition-rules", {
    key: tenant.key,
    body: { brand: tenant.brand.id, type: "influencer_coupon", priority: 10 },
  });
}
