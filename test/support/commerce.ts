import { expect } from "vitest";
import { leadrailSignature } from "../../api/adapters/email-signatures.ts";
import { stores } from "../../db/schema/sales.ts";
import type { CommerceEventMessage } from "../../domain/commerce/event-message.ts";
import type { Env } from "../../domain/platform/env.ts";
import { call, ids, rand, withDb } from "./api.ts";
import { consumeEventsBatch } from "./events-batch.ts";
import { createSalesTenant, type SalesTenant } from "./sales.ts";

/** A brand, a KRW market and a store of it on `platform`. */
export interface CommerceShop extends SalesTenant {
  storeId: number;
  storeRef: string;
  mallId: string;
}

export async function commerceShop(platform = "shopify"): Promise<CommerceShop> {
  const tenant = await createSalesTenant("KRW");
  const mallId = platform === "cafe24" ? `mall${rand()}` : `shop-${rand()}.myshopify.com`;
  const [row] = await withDb((db) =>
    db
      .insert(stores)
      .values({
        brandId: tenant.brand.internal,
        marketId: tenant.market.internal,
        platform,
        externalRef: mallId,
        name: `Store ${mallId}`,
      })
      .returning({ id: stores.id }),
  );
  if (!row) throw new Error("no store row");
  return { ...tenant, storeId: row.id, storeRef: ids.encode("store", row.id), mallId };
}

const secret = `whsec_${rand()}${rand()}`;

/** `events` posted signed to POST /webhooks/commerce for `store` (202 expected); the queue messages they became. */
export async function sendCommerce(store: CommerceShop, events: unknown[]): Promise<CommerceEventMessage[]> {
  const messages: CommerceEventMessage[] = [];
  const queue = {
    async send() {
      throw new Error("the webhooks send with sendBatch");
    },
    async sendBatch(batch: Iterable<MessageSendRequest<CommerceEventMessage>>) {
      for (const { body } of batch) messages.push(JSON.parse(JSON.stringify(body)));
    },
  } as unknown as Queue;
  const body = JSON.stringify({ store: store.storeRef, events });
  const response = await call("POST", "/webhooks/commerce", {
    key: null,
    rawBody: body,
    headers: {
      "x-leadrail-signature": await leadrailSignature(
        Uint8Array.from(new TextEncoder().encode(body)),
        secret,
      ),
    },
    env: { COMMERCE_WEBHOOK_SECRET: secret, EVENTS_QUEUE: queue } as Partial<Env>,
  });
  expect(response.status, response.text).toBe(202);
  return messages;
}

/** `events` sent for `store` and consumed as one events batch; the commerce part's counts. */
export async function applyCommerce(store: CommerceShop, events: unknown[]): Promise<Record<string, number>> {
  const { report, retried } = await consumeEventsBatch(await sendCommerce(store, events));
  expect(retried).toEqual([]);
  return report.parts.commerce ?? {};
}
