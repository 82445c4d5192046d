import { createHmac, createPrivateKey, sign } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DevSecrets } from "./dev-secrets.ts";

/**
 * One signed example request per webhook, for `npm start` to print: the body is written to a file (the
 * signature covers its exact bytes, which `curl --data-binary @file` sends unchanged) and the curl line
 * carries the signature. The verifiers (api/adapters/shopify-hmac.ts, email-signatures.ts) check no
 * timestamp window, so a line printed at start-up still works whenever it is run. Solapi's delivery
 * reports are not signed: their example carries `MESSAGING_WEBHOOK_TOKEN` in the URL instead.
 */

/** Shopify's `X-Shopify-Hmac-Sha256`: base64 of the HMAC-SHA256 of the raw body under the app secret. */
export const shopifySignature = (body: Buffer, secret: string): string =>
  createHmac("sha256", secret).update(body).digest("base64");

/** leadrail's `X-Leadrail-Signature`: `sha256=` and the hex HMAC-SHA256 of the raw body. */
export const leadrailSignature = (body: Buffer, secret: string): string =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/**
 * SendGrid's `X-Twilio-Email-Event-Webhook-Signature`: ECDSA P-256 / SHA-256 over the timestamp header's
 * value followed by the raw body, DER-encoded, in base64. `privateKey` is base64 PKCS#8.
 */
export function sendGridSignature(body: Buffer, timestamp: string, privateKey: string): string {
  const key = createPrivateKey({ key: Buffer.from(privateKey, "base64"), format: "der", type: "pkcs8" });
  // Node signs EC keys in DER (dsaEncoding "der"), which is what SendGrid sends.
  return sign("sha256", Buffer.concat([Buffer.from(timestamp), body]), key).toString("base64");
}

export type WebhookKind =
  | "shopify-orders-create"
  | "email"
  | "commerce"
  | "sendgrid"
  | "messaging-opt-out"
  | "solapi-receipt";

export interface WebhookExample {
  kind: WebhookKind;
  /** One line saying what it does and what it answers. */
  title: string;
  /**
   * What proves the sender: a signature header over the body, or (Solapi's receipts, which Solapi does not
   * sign) the `token` in the URL.
   */
  auth: "signature" | "token";
  url: string;
  headers: Record<string, string>;
  /** The file holding the signed body. */
  bodyFile: string;
  /** The whole command, ready to paste. */
  curl: string;
}

export interface ExampleOptions {
  baseUrl: string;
  /** Where the bodies are written. */
  dir: string;
  secrets: DevSecrets;
  /** Hash ids of the seeded brands by slug (the demo seed's), so the events name a brand. */
  brandRefs: Record<string, string>;
  /** Hash ids of the seeded stores by shop id (external ref), so the commerce events name a store. */
  storeRefs?: Record<string, string>;
  now?: Date;
}

/** The demo seed's Shopify shop that sells in USD (scripts/lib/seed.ts), and its product. */
const shop = { domain: "northwind-coffee.myshopify.com", sku: "BEANS-1KG", title: "Espresso beans 1 kg" };
const recipient = "jane.doe@example.com";
/** A Korean mobile number that is new on every start (010 and eight digits from the clock). */
const optOutPhone = (stamp: number): string => `010${String(stamp % 100_000_000).padStart(8, "0")}`;

const quote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * Writes one signed body per webhook under `dir` and returns the requests, plus a note for each webhook
 * that cannot be exampled (its secret is empty, or SendGrid's key came from .dev.vars without its
 * private half). Ids are new on every call, so each start's examples store something new.
 */
export function writeWebhookExamples(options: ExampleOptions): {
  examples: WebhookExample[];
  notes: string[];
} {
  const now = options.now ?? new Date();
  const { values, sendGridPrivateKey } = options.secrets;
  const stamp = now.getTime();
  const brand = options.brandRefs["acme-skincare"];
  mkdirSync(options.dir, { recursive: true });
  const examples: WebhookExample[] = [];
  const notes: string[] = [];

  const add = (
    kind: WebhookKind,
    title: string,
    route: string,
    payload: unknown,
    signatureHeaders: (body: Buffer) => Record<string, string>,
    auth: WebhookExample["auth"] = "signature",
  ) => {
    const body = Buffer.from(JSON.stringify(payload, null, 2));
    const bodyFile = path.join(options.dir, `${kind}.json`);
    writeFileSync(bodyFile, body);
    const url = `${options.baseUrl}${route}`;
    const headers = { "content-type": "application/json", ...signatureHeaders(body) };
    const curl = [
      "curl -si -X POST",
      quote(url),
      ...Object.entries(headers).map(([name, value]) => `-H ${quote(`${name}: ${value}`)}`),
      `--data-binary ${quote(`@${bodyFile}`)}`,
    ].join(" ");
    examples.push({ kind, title, auth, url, headers, bodyFile, curl });
  };

  if (values.SHOPIFY_WEBHOOK_SECRET) {
    const orderId = stamp;
    const at = now.toISOString();
    add(
      "shopify-orders-create",
      `Shopify orders/create from ${shop.domain}: 200 {"order": …, "created": true}`,
      "/webhooks/shopify/orders-create",
      {
        id: orderId,
        name: `#D${orderId % 100_000}`,
        email: recipient,
        created_at: at,
        processed_at: at,
        currency: "USD",
        taxes_included: false,
        subtotal_price: "24.00",
        total_tax: "0.00",
        total_price: "24.00",
        financial_status: "paid",
        gateway: "manual",
        source_name: "web",
        customer: { id: orderId + 1, email: recipient, first_name: "Jane", last_name: "Doe" },
        line_items: [
          { id: orderId + 2, sku: shop.sku, title: shop.title, quantity: 1, price: "24.00", tax_lines: [] },
        ],
        shipping_lines: [],
      },
      (body) => ({
        "x-shopify-topic": "orders/create",
        "x-shopify-shop-domain": shop.domain,
        "x-shopify-hmac-sha256": shopifySignature(body, values.SHOPIFY_WEBHOOK_SECRET),
      }),
    );
  } else notes.push("SHOPIFY_WEBHOOK_SECRET is empty (.dev.vars): the Shopify webhooks answer 503.");

  if (values.EMAIL_WEBHOOK_SECRET) {
    add(
      "email",
      "email events in the normalised format: 202 {received: 1, enqueued: 1, …}",
      "/webhooks/email",
      {
        events: [
          {
            id: `dev-${stamp}-delivered`,
            type: "delivered",
            email: recipient,
            occurred_at: now.toISOString(),
            ...(brand ? { brand } : {}),
            message_id: `dev-${stamp}`,
          },
        ],
      },
      (body) => ({ "x-leadrail-signature": leadrailSignature(body, values.EMAIL_WEBHOOK_SECRET) }),
    );
  } else notes.push("EMAIL_WEBHOOK_SECRET is empty (.dev.vars): POST /webhooks/email answers 503.");

  const store = options.storeRefs?.["acme-skincare.myshopify.com"];
  if (!values.COMMERCE_WEBHOOK_SECRET) {
    notes.push("COMMERCE_WEBHOOK_SECRET is empty (.dev.vars): POST /webhooks/commerce answers 503.");
  } else if (!store) {
    notes.push("The demo store is not seeded: no signed example for POST /webhooks/commerce.");
  } else {
    add(
      "commerce",
      "a commerce event in the normalised format (consent to SMS and email): 202 {received: 1, enqueued: 1, …}",
      "/webhooks/commerce",
      {
        store,
        events: [
          {
            id: `dev-${stamp}-consent`,
            type: "consent.changed",
            occurred_at: now.toISOString(),
            data: {
              email: recipient,
              consents: [
                { channel: "sms", status: "granted" },
                { channel: "email", status: "granted" },
              ],
              source: "signup_form",
            },
          },
        ],
      },
      (body) => ({ "x-leadrail-signature": leadrailSignature(body, values.COMMERCE_WEBHOOK_SECRET) }),
    );
  }

  if (!values.SENDGRID_WEBHOOK_PUBLIC_KEY) {
    notes.push(
      "SENDGRID_WEBHOOK_PUBLIC_KEY is empty (.dev.vars): POST /webhooks/email/sendgrid answers 503.",
    );
  } else if (!sendGridPrivateKey) {
    notes.push(
      "SENDGRID_WEBHOOK_PUBLIC_KEY comes from .dev.vars, whose private key only SendGrid has: no signed example (remove it from .dev.vars to use the generated pair).",
    );
  } else {
    const timestamp = String(Math.floor(stamp / 1000));
    add(
      "sendgrid",
      "SendGrid's Signed Event Webhook: 202 {received: 1, enqueued: 1, …}",
      "/webhooks/email/sendgrid",
      [
        {
          email: recipient,
          timestamp: Number(timestamp),
          event: "delivered",
          response: "250 OK",
          sg_event_id: `dev-${stamp}-sendgrid`,
          sg_message_id: `dev-${stamp}.filter0001`,
          ...(brand ? { leadrail_brand: brand } : {}),
        },
      ],
      (body) => ({
        "x-twilio-email-event-webhook-timestamp": timestamp,
        "x-twilio-email-event-webhook-signature": sendGridSignature(body, timestamp, sendGridPrivateKey),
      }),
    );
  }
  if (!values.MESSAGING_OPTOUT_WEBHOOK_SECRET) {
    notes.push(
      "MESSAGING_OPTOUT_WEBHOOK_SECRET is empty (.dev.vars): POST /webhooks/messaging/opt-outs answers 503.",
    );
  } else if (!brand) {
    notes.push("The demo brand is not seeded: no signed example for POST /webhooks/messaging/opt-outs.");
  } else {
    add(
      "messaging-opt-out",
      "an 080 opt-out of the demo brand's advertising: 202 {enqueued: 1}; stored once per id, its next sends to the number are refused (optout)",
      "/webhooks/messaging/opt-outs",
      {
        brand,
        phone: optOutPhone(stamp),
        via: "080",
        at: now.toISOString(),
        id: `dev-${stamp}-optout`,
      },
      (body) => ({
        "x-leadrail-signature": leadrailSignature(body, values.MESSAGING_OPTOUT_WEBHOOK_SECRET),
      }),
    );
  }

  if (!values.MESSAGING_WEBHOOK_TOKEN) {
    notes.push("MESSAGING_WEBHOOK_TOKEN is empty (.dev.vars): POST /webhooks/messaging/solapi answers 503.");
  } else {
    const at = now.toISOString();
    add(
      "solapi-receipt",
      "a Solapi delivery report for a made-up message: 200 {received: 1, enqueued: 1, messages: 1}; no send has that message id, so the events consumer counts it unknown (its events.batch log line)",
      `/webhooks/messaging/solapi?token=${encodeURIComponent(values.MESSAGING_WEBHOOK_TOKEN)}`,
      [
        {
          messageId: `M4VDEV${stamp}`,
          groupId: `G4VDEV${stamp}`,
          to: "01012345678",
          from: "0293022660",
          type: "SMS",
          statusCode: "4000",
          statusMessage: "수신 완료",
          customFields: {},
          dateCreated: at,
          dateReceived: at,
          dateUpdated: at,
        },
      ],
      () => ({}),
      "token",
    );
  }
  return { examples, notes };
}
