import { createHmac, createPublicKey, verify } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { optOutWebhookBody } from "../../api/schemas/messaging.ts";
import { parseSolapiReports } from "../../domain/messaging/solapi.ts";
import { devSecrets, loadGeneratedSecrets, readDevVars } from "../../scripts/lib/dev-secrets.ts";
import {
  leadrailSignature,
  sendGridSignature,
  shopifySignature,
  writeWebhookExamples,
} from "../../scripts/lib/webhook-examples.ts";

/**
 * Independent checks of the three signatures in Node's crypto (the Worker's own verifiers, WebCrypto in
 * api/adapters, take these same requests in test/e2e/webhooks.test.ts).
 */
const verifyShopifyHmac = async (body: Uint8Array, signature: string | undefined, secret: string) =>
  signature === createHmac("sha256", secret).update(body).digest("base64");
const verifyLeadrailSignature = async (body: Uint8Array, signature: string | undefined, secret: string) =>
  signature === `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
const verifySendGridSignature = async (
  body: Uint8Array,
  signature: string | undefined,
  timestamp: string,
  publicKey: string,
) =>
  verify(
    "sha256",
    Buffer.concat([Buffer.from(timestamp), body]),
    createPublicKey({ key: Buffer.from(publicKey, "base64"), format: "der", type: "spki" }),
    Buffer.from(signature ?? "", "base64"),
  );

const root = mkdtempSync(path.join(os.tmpdir(), "leadrail-dev-secrets-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const freshDir = () => path.join(root, `data-${++count}`);

describe("development webhook secrets", () => {
  it("are generated once, kept owner-only in dev-secrets.json, and read back the same", () => {
    const dir = freshDir();
    const first = devSecrets(dir, null);
    expect(first.generated).toBe(true);
    expect(first.file).toBe(path.join(dir, "dev-secrets.json"));
    expect(first.values.SHOPIFY_WEBHOOK_SECRET).toMatch(/^shpss_dev_[0-9a-f]{32}$/);
    expect(first.values.EMAIL_WEBHOOK_SECRET).toMatch(/^email_dev_[0-9a-f]{48}$/);
    expect(first.values.COMMERCE_WEBHOOK_SECRET).toMatch(/^commerce_dev_[0-9a-f]{48}$/);
    // base64 of a P-256 SubjectPublicKeyInfo, as SendGrid shows its verification key.
    expect(first.values.SENDGRID_WEBHOOK_PUBLIC_KEY).toMatch(
      /^MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE[A-Za-z0-9+/]+=*$/,
    );
    expect(first.values.MESSAGING_WEBHOOK_TOKEN).toMatch(/^receipts_dev_[0-9a-f]{48}$/);
    expect(first.values.MESSAGING_OPTOUT_WEBHOOK_SECRET).toMatch(/^optout_dev_[0-9a-f]{48}$/);
    expect(first.values.DASHBOARD_SESSION_SECRET).toMatch(/^dashboard_dev_[0-9a-f]{64}$/);
    expect(first.sources).toEqual({
      SHOPIFY_WEBHOOK_SECRET: "generated",
      EMAIL_WEBHOOK_SECRET: "generated",
      COMMERCE_WEBHOOK_SECRET: "generated",
      SENDGRID_WEBHOOK_PUBLIC_KEY: "generated",
      MESSAGING_WEBHOOK_TOKEN: "generated",
      MESSAGING_OPTOUT_WEBHOOK_SECRET: "generated",
      DASHBOARD_SESSION_SECRET: "generated",
    });
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(first.file, "utf8")) as Record<string, string>;
    expect(Object.keys(stored)).toEqual([
      "SHOPIFY_WEBHOOK_SECRET",
      "EMAIL_WEBHOOK_SECRET",
      "COMMERCE_WEBHOOK_SECRET",
      "SENDGRID_WEBHOOK_PUBLIC_KEY",
      "SENDGRID_WEBHOOK_PRIVATE_KEY",
      "MESSAGING_WEBHOOK_TOKEN",
      "MESSAGING_OPTOUT_WEBHOOK_SECRET",
      "DASHBOARD_SESSION_SECRET",
    ]);
    expect(first.sendGridPrivateKey).toBe(stored.SENDGRID_WEBHOOK_PRIVATE_KEY);

    const second = devSecrets(dir, null);
    expect(second.generated).toBe(false);
    expect(second.values).toEqual(first.values);
    expect(second.sendGridPrivateKey).toBe(first.sendGridPrivateKey);
    // Another data directory is another set.
    expect(devSecrets(freshDir(), null).values.SHOPIFY_WEBHOOK_SECRET).not.toBe(
      first.values.SHOPIFY_WEBHOOK_SECRET,
    );
  });

  it("are given to wrangler in an owner-only env file, then .dev.vars when there is one (later files win)", () => {
    const dir = freshDir();
    const withoutDevVars = devSecrets(dir, path.join(dir, "no-such.dev.vars"));
    const envFile = path.join(dir, "dev-secrets.env");
    expect(withoutDevVars.envFiles).toEqual([envFile]);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    const v = withoutDevVars.values;
    expect(readFileSync(envFile, "utf8")).toBe(
      "# Written by `npm start` from dev-secrets.json on every start; .dev.vars overrides any of these.\n" +
        `SHOPIFY_WEBHOOK_SECRET="${v.SHOPIFY_WEBHOOK_SECRET}"\n` +
        `EMAIL_WEBHOOK_SECRET="${v.EMAIL_WEBHOOK_SECRET}"\n` +
        `COMMERCE_WEBHOOK_SECRET="${v.COMMERCE_WEBHOOK_SECRET}"\n` +
        `SENDGRID_WEBHOOK_PUBLIC_KEY="${v.SENDGRID_WEBHOOK_PUBLIC_KEY}"\n` +
        `MESSAGING_WEBHOOK_TOKEN="${v.MESSAGING_WEBHOOK_TOKEN}"\n` +
        `MESSAGING_OPTOUT_WEBHOOK_SECRET="${v.MESSAGING_OPTOUT_WEBHOOK_SECRET}"\n` +
        `DASHBOARD_SESSION_SECRET="${v.DASHBOARD_SESSION_SECRET}"\n`,
    );
    // The private key never reaches the Worker.
    expect(readFileSync(envFile, "utf8")).not.toContain("PRIVATE");
    const devVars = path.join(dir, ".dev.vars");
    writeFileSync(devVars, "OTHER=1\n");
    expect(devSecrets(dir, devVars).envFiles).toEqual([envFile, devVars]);
  });

  it(".dev.vars wins for each name it sets, even empty; the rest stay generated", () => {
    const dir = freshDir();
    const generated = devSecrets(dir, null);
    const devVars = path.join(dir, ".dev.vars");
    writeFileSync(
      devVars,
      [
        "# mine",
        "DATABASE_URL=postgres://me@127.0.0.1/db",
        'SHOPIFY_WEBHOOK_SECRET="shpss_mine # not a comment"',
        "EMAIL_WEBHOOK_SECRET=",
      ].join("\n"),
    );
    expect(readDevVars(devVars)).toEqual({
      DATABASE_URL: "postgres://me@127.0.0.1/db",
      SHOPIFY_WEBHOOK_SECRET: "shpss_mine # not a comment",
      EMAIL_WEBHOOK_SECRET: "",
    });
    const mixed = devSecrets(dir, devVars);
    expect(mixed.values).toEqual({
      SHOPIFY_WEBHOOK_SECRET: "shpss_mine # not a comment",
      EMAIL_WEBHOOK_SECRET: "",
      COMMERCE_WEBHOOK_SECRET: generated.values.COMMERCE_WEBHOOK_SECRET,
      SENDGRID_WEBHOOK_PUBLIC_KEY: generated.values.SENDGRID_WEBHOOK_PUBLIC_KEY,
      MESSAGING_WEBHOOK_TOKEN: generated.values.MESSAGING_WEBHOOK_TOKEN,
      MESSAGING_OPTOUT_WEBHOOK_SECRET: generated.values.MESSAGING_OPTOUT_WEBHOOK_SECRET,
      DASHBOARD_SESSION_SECRET: generated.values.DASHBOARD_SESSION_SECRET,
    });
    expect(mixed.sources).toEqual({
      SHOPIFY_WEBHOOK_SECRET: ".dev.vars",
      EMAIL_WEBHOOK_SECRET: ".dev.vars",
      COMMERCE_WEBHOOK_SECRET: "generated",
      SENDGRID_WEBHOOK_PUBLIC_KEY: "generated",
      MESSAGING_WEBHOOK_TOKEN: "generated",
      MESSAGING_OPTOUT_WEBHOOK_SECRET: "generated",
      DASHBOARD_SESSION_SECRET: "generated",
    });
    expect(mixed.sendGridPrivateKey).toBe(generated.sendGridPrivateKey);
    // The kept secrets are not touched by .dev.vars.
    expect(devSecrets(dir, null).values).toEqual(generated.values);

    // A SendGrid key from .dev.vars: its private half is SendGrid's, so nothing here can sign for it.
    writeFileSync(devVars, "SENDGRID_WEBHOOK_PUBLIC_KEY=MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2\n");
    const theirs = devSecrets(dir, devVars);
    expect(theirs.values.SENDGRID_WEBHOOK_PUBLIC_KEY).toBe("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2");
    expect(theirs.sendGridPrivateKey).toBeNull();
    const { examples, notes } = writeWebhookExamples({
      baseUrl: "http://127.0.0.1:8787",
      dir: path.join(dir, "examples"),
      secrets: theirs,
      brandRefs: {},
    });
    expect(examples.map((example) => example.kind)).toEqual([
      "shopify-orders-create",
      "email",
      "solapi-receipt",
    ]);
    expect(notes).toEqual([
      "The demo store is not seeded: no signed example for POST /webhooks/commerce.",
      "SENDGRID_WEBHOOK_PUBLIC_KEY comes from .dev.vars, whose private key only SendGrid has: no signed example (remove it from .dev.vars to use the generated pair).",
      "The demo brand is not seeded: no signed example for POST /webhooks/messaging/opt-outs.",
    ]);
    // Without the messaging secrets, those two webhooks are notes too.
    const none = writeWebhookExamples({
      baseUrl: "http://127.0.0.1:8787",
      dir: path.join(dir, "examples-none"),
      secrets: {
        ...theirs,
        values: { ...theirs.values, MESSAGING_WEBHOOK_TOKEN: "", MESSAGING_OPTOUT_WEBHOOK_SECRET: "" },
      },
      brandRefs: { "acme-skincare": "Xy7" },
    });
    expect(none.examples.map((example) => example.kind)).toEqual(["shopify-orders-create", "email"]);
    expect(none.notes.slice(-2)).toEqual([
      "MESSAGING_OPTOUT_WEBHOOK_SECRET is empty (.dev.vars): POST /webhooks/messaging/opt-outs answers 503.",
      "MESSAGING_WEBHOOK_TOKEN is empty (.dev.vars): POST /webhooks/messaging/solapi answers 503.",
    ]);
  });

  it("a file missing a secret, or half the key pair, gets what it lacks; a broken one is an error", () => {
    const dir = freshDir();
    const file = path.join(dir, "dev-secrets.json");
    devSecrets(dir, null);
    const kept = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    writeFileSync(
      file,
      JSON.stringify({
        SHOPIFY_WEBHOOK_SECRET: "shpss_kept",
        SENDGRID_WEBHOOK_PUBLIC_KEY: kept.SENDGRID_WEBHOOK_PUBLIC_KEY,
      }),
    );
    const { secrets, generated } = loadGeneratedSecrets(file);
    expect(generated).toBe(true);
    expect(secrets.SHOPIFY_WEBHOOK_SECRET).toBe("shpss_kept");
    expect(secrets.EMAIL_WEBHOOK_SECRET).toMatch(/^email_dev_/);
    expect(secrets.COMMERCE_WEBHOOK_SECRET).toMatch(/^commerce_dev_/);
    expect(secrets.SENDGRID_WEBHOOK_PUBLIC_KEY).not.toBe(kept.SENDGRID_WEBHOOK_PUBLIC_KEY);
    expect(loadGeneratedSecrets(file)).toEqual({ secrets, generated: false });

    writeFileSync(file, "{ not json");
    expect(() => loadGeneratedSecrets(file)).toThrow(`${file} is not readable JSON (`);
    expect(() => loadGeneratedSecrets(file)).toThrow("delete it to generate new development secrets");
    expect(existsSync(`${file}.${process.pid}.tmp`)).toBe(false);
  });
});

describe("webhook signatures", () => {
  const secrets = devSecrets(freshDir(), null);
  const body = Buffer.from('{"id":1,"note":"ünïcode"}');

  it("Shopify: base64 HMAC-SHA256 of the body", async () => {
    const signature = shopifySignature(body, "shpss_x");
    // Computed apart (Python's hmac) from the same bytes and key.
    expect(signature).toBe("jn4YyKca5jlgHvm0U6jOQmKVfKlTxgxdltOQxIJkUEA=");
    expect(await verifyShopifyHmac(body, signature, "shpss_x")).toBe(true);
    expect(await verifyShopifyHmac(body, signature, "shpss_y")).toBe(false);
  });

  it("normalised email: sha256= and the hex HMAC", async () => {
    const signature = leadrailSignature(body, "email_x");
    expect(signature).toBe("sha256=b7ced87855cf42d9f66b48fa3ae71c74f6ab356c88b49510dbc39c405486b856");
    expect(await verifyLeadrailSignature(new Uint8Array(body), signature, "email_x")).toBe(true);
    expect(await verifyLeadrailSignature(new Uint8Array(body), signature, "email_y")).toBe(false);
  });

  it("SendGrid: ECDSA P-256 over timestamp + body, DER in base64, verified with the generated public key", async () => {
    const privateKey = secrets.sendGridPrivateKey ?? "";
    const signature = sendGridSignature(body, "1764870000", privateKey);
    const publicKey = secrets.values.SENDGRID_WEBHOOK_PUBLIC_KEY;
    expect(Buffer.from(signature, "base64")[0]).toBe(0x30);
    expect(await verifySendGridSignature(new Uint8Array(body), signature, "1764870000", publicKey)).toBe(
      true,
    );
    expect(await verifySendGridSignature(new Uint8Array(body), signature, "1764870001", publicKey)).toBe(
      false,
    );
  });

  it("every example's headers verify against its body file", async () => {
    const { examples, notes } = writeWebhookExamples({
      baseUrl: "http://127.0.0.1:8787",
      dir: path.join(root, "examples"),
      secrets,
      brandRefs: { "acme-skincare": "Xy7" },
      storeRefs: { "acme-skincare.myshopify.com": "St9" },
      now: new Date("2026-12-04T12:00:00Z"),
    });
    expect(notes).toEqual([]);
    const byKind = Object.fromEntries(examples.map((example) => [example.kind, example]));
    const read = (kind: string) => readFileSync(byKind[kind]?.bodyFile ?? "");
    const shopify = byKind["shopify-orders-create"];
    expect(shopify?.url).toBe("http://127.0.0.1:8787/webhooks/shopify/orders-create");
    expect(shopify?.headers["x-shopify-shop-domain"]).toBe("northwind-coffee.myshopify.com");
    expect(
      await verifyShopifyHmac(
        read("shopify-orders-create"),
        shopify?.headers["x-shopify-hmac-sha256"],
        secrets.values.SHOPIFY_WEBHOOK_SECRET,
      ),
    ).toBe(true);
    const email = byKind.email;
    expect(
      await verifyLeadrailSignature(
        new Uint8Array(read("email")),
        email?.headers["x-leadrail-signature"],
        secrets.values.EMAIL_WEBHOOK_SECRET,
      ),
    ).toBe(true);
    expect(JSON.parse(read("email").toString())).toEqual({
      events: [
        {
          id: "dev-1796385600000-delivered",
          type: "delivered",
          email: "jane.doe@example.com",
          occurred_at: "2026-12-04T12:00:00.000Z",
          brand: "Xy7",
          message_id: "dev-1796385600000",
        },
      ],
    });
    const commerce = byKind.commerce;
    expect(commerce?.url).toBe("http://127.0.0.1:8787/webhooks/commerce");
    expect(
      await verifyLeadrailSignature(
        new Uint8Array(read("commerce")),
        commerce?.headers["x-leadrail-signature"],
        secrets.values.COMMERCE_WEBHOOK_SECRET,
      ),
    ).toBe(true);
    expect(JSON.parse(read("commerce").toString())).toEqual({
      store: "St9",
      events: [
        {
          id: "dev-1796385600000-consent",
          type: "consent.changed",
          occurred_at: "2026-12-04T12:00:00.000Z",
          data: {
            email: "jane.doe@example.com",
            consents: [
              { channel: "sms", status: "granted" },
              { channel: "email", status: "granted" },
            ],
            source: "signup_form",
          },
        },
      ],
    });
    const sendgrid = byKind.sendgrid;
    expect(sendgrid?.headers["x-twilio-email-event-webhook-timestamp"]).toBe("1796385600");
    expect(
      await verifySendGridSignature(
        new Uint8Array(read("sendgrid")),
        sendgrid?.headers["x-twilio-email-event-webhook-signature"],
        "1796385600",
        secrets.values.SENDGRID_WEBHOOK_PUBLIC_KEY,
      ),
    ).toBe(true);
    expect(examples.map((example) => [example.kind, example.auth])).toEqual([
      ["shopify-orders-create", "signature"],
      ["email", "signature"],
      ["commerce", "signature"],
      ["sendgrid", "signature"],
      ["messaging-opt-out", "signature"],
      ["solapi-receipt", "token"],
    ]);

    const optOut = byKind["messaging-opt-out"];
    expect(optOut?.url).toBe("http://127.0.0.1:8787/webhooks/messaging/opt-outs");
    expect(
      await verifyLeadrailSignature(
        new Uint8Array(read("messaging-opt-out")),
        optOut?.headers["x-leadrail-signature"],
        secrets.values.MESSAGING_OPTOUT_WEBHOOK_SECRET,
      ),
    ).toBe(true);
    const optOutBody = JSON.parse(read("messaging-opt-out").toString());
    expect(optOutBody).toEqual({
      brand: "Xy7",
      phone: "01085600000",
      via: "080",
      at: "2026-12-04T12:00:00.000Z",
      id: "dev-1796385600000-optout",
    });
    // What the route validates it with.
    expect(optOutWebhookBody.parse(optOutBody)).toEqual(optOutBody);

    const receipt = byKind["solapi-receipt"];
    expect(receipt?.url).toBe(
      `http://127.0.0.1:8787/webhooks/messaging/solapi?token=${secrets.values.MESSAGING_WEBHOOK_TOKEN}`,
    );
    expect(receipt?.headers).toEqual({ "content-type": "application/json" });
    // The Solapi adapter reads it as one final report for a message no send has (no leadrailId).
    expect(parseSolapiReports(JSON.parse(read("solapi-receipt").toString()))).toEqual([
      {
        providerMessageId: "M4VDEV1796385600000",
        customId: null,
        status: "delivered",
        providerCode: "4000",
        providerMessage: "수신 완료",
        at: new Date("2026-12-04T12:00:00.000Z"),
      },
    ]);
    expect(receipt?.curl).toBe(
      `curl -si -X POST 'http://127.0.0.1:8787/webhooks/messaging/solapi?token=${secrets.values.MESSAGING_WEBHOOK_TOKEN}' -H 'content-type: application/json' --data-binary '@${path.join(root, "examples", "solapi-receipt.json")}'`,
    );
    expect(sendgrid?.curl).toBe(
      `curl -si -X POST 'http://127.0.0.1:8787/webhooks/email/sendgrid' -H 'content-type: application/json' -H 'x-twilio-email-event-webhook-timestamp: 1796385600' -H 'x-twilio-email-event-webhook-signature: ${sendgrid?.headers["x-twilio-email-event-webhook-signature"]}' --data-binary '@${path.join(root, "examples", "sendgrid.json")}'`,
    );
  });
});
