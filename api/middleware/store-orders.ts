import type { Context } from "hono";
import { Unavailable, ValidationFailed } from "../../domain/core/errors.ts";
import { findStoreTarget, type StoreTarget } from "../../domain/ledger/store-orders.ts";
import { dbConfig } from "../../domain/platform/env.ts";
import { parseStoreJson } from "../adapters/json.ts";
import { verifyShopifyHmac } from "../adapters/shopify-hmac.ts";
import type { HonoEnv } from "../hono-env.ts";
import { ApiProblem } from "../problem.ts";
import { createOrderBody, type NormalisedOrder, type ParsedOrder } from "../schemas/order.ts";
import { fieldErrorsFromZod, nulFieldErrors, withNulErrors } from "../validation.ts";

/** A verified Shopify webhook: its parsed body and the store (brand + market) its shop is registered as. */
export interface ShopifyWebhook {
  payload: unknown;
  store: StoreTarget;
}

/**
 * Authenticates a Shopify webhook before anything else: the HMAC over the raw body (401, nothing read or
 * stored, when it is missing or wrong), then parses the body and finds the store of
 * `X-Shopify-Shop-Domain` (404 when no store is registered for that shop).
 */
export async function readShopifyWebhook(c: Context<HonoEnv>): Promise<ShopifyWebhook> {
  const secret = dbConfig(c.env).SHOPIFY_WEBHOOK_SECRET;
  if (!secret)
    throw new Unavailable(
      "Shopify webhooks are not configured (SHOPIFY_WEBHOOK_SECRET is not set); nothing was stored.",
    );
  const raw = await c.req.arrayBuffer();
  if (!(await verifyShopifyHmac(raw, c.req.header("x-shopify-hmac-sha256"), secret)))
    throw new ApiProblem("unauthorized", "Missing or invalid X-Shopify-Hmac-Sha256 signature.");
  let payload: unknown;
  try {
    payload = parseStoreJson(new TextDecoder().decode(raw));
  } catch {
    throw new ApiProblem("bad_request", "The request body is not valid JSON.");
  }
  const shop = c.req.header("x-shopify-shop-domain")?.trim().toLowerCase();
  if (!shop)
    throw new ValidationFailed([
      {
        field: "x-shopify-shop-domain",
        category: "missing",
        message: "Required: the shop's myshopify.com domain.",
      },
    ]);
  const store = await findStoreTarget(c.var.db, "shopify", shop);
  if (!store) throw new ApiProblem("not_found", `No store is registered for the Shopify shop ${shop}.`);
  return { payload, store };
}

/** Checks an adapter's output against the normalised order contract: what `POST /api/v1/orders` accepts. */
export function parseNormalised(order: NormalisedOrder): ParsedOrder {
  const result = createOrderBody.safeParse(order);
  const errors = result.success
    ? nulFieldErrors(result.data)
    : withNulErrors(fieldErrorsFromZod(result.error, order, "json"), order);
  if (!result.success || errors.length > 0)
    throw new ValidationFailed(errors, "The store's order does not make a valid normalised order.");
  return result.data;
}

/** 422 for a request body naming a shop no store is registered for. */
export function unknownStore(field: string, value: string): ValidationFailed {
  return new ValidationFailed([
    { field, category: "not_found", message: `No store is registered for "${value}".` },
  ]);
}
