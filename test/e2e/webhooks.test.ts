import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { devSecrets } from "../../scripts/lib/dev-secrets.ts";
import { writeWebhookExamples } from "../../scripts/lib/webhook-examples.ts";
import { e2e, showWranglerLogOnFailure, sql } from "./support.ts";

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), "leadrail-webhook-examples-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The examples `npm start` prints, for the secrets this stack was started with. */
const { examples, notes } = writeWebhookExamples({
  baseUrl: e2e.baseUrl,
  dir,
  secrets: devSecrets(e2e.devSecretsDir, null),
  brandRefs: e2e.brandRefs,
  storeRefs: e2e.storeRefs,
});

/** Runs a printed curl line as a user would paste it; its status and the JSON body it answered. */
async function runCurl(line: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { stdout } = await run("sh", ["-c", line], { timeout: 30_000 });
  const [head = "", ...rest] = stdout.split(/\r?\n\r?\n/);
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1]);
  return { status, body: JSON.parse(rest.join("\n\n")) as Record<string, unknown> };
}

describe("the webhook examples npm start prints", () => {
  beforeEach(() => showWranglerLogOnFailure());

  it("cover every webhook, with nothing left out", () => {
    expect(examples.map((example) => example.kind)).toEqual([
      "shopify-orders-create",
      "email",
      "commerce",
      "sendgrid",
      "messaging-opt-out",
      "solapi-receipt",
    ]);
    expect(notes).toEqual([]);
  });

  it("Shopify orders/create: 200 and the order is stored for the Northwind shop", async () => {
    const example = examples.find((each) => each.kind === "shopify-orders-create");
    const answer = await runCurl(example?.curl ?? "false");
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.created).toBe(true);
    expect(typeof answer.body.order).toBe("string");
    const sent = JSON.parse(readFileSync(example?.bodyFile ?? "", "utf8")) as { id: number };
    const orders = await sql<{ currency: string; slug: string }>(
      `SELECT o.currency, b.slug FROM orders o JOIN brands b ON b.id = o.brand_id
       WHERE o.platform = 'shopify' AND o.external_id = $1`,
      [String(sent.id)],
    );
    expect(orders).toEqual([{ currency: "USD", slug: "northwind-coffee" }]);
    // The same delivery again is a re-delivery: still 200, nothing written.
    const again = await runCurl(example?.curl ?? "false");
    expect(again).toEqual({ status: 200, body: { order: answer.body.order, created: false } });
  });

  it.each(["email", "sendgrid"] as const)("%s: 202 and the event is queued", async (kind) => {
    const example = examples.find((each) => each.kind === kind);
    const answer = await runCurl(example?.curl ?? "false");
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body).toMatchObject({ received: 1, enqueued: 1 });
  });

  it("messaging opt-out: 202 and the opt-out is stored for the demo brand", async () => {
    const example = examples.find((each) => each.kind === "messaging-opt-out");
    const answer = await runCurl(example?.curl ?? "false");
    expect(answer).toEqual({ status: 202, body: { enqueued: 1 } });
    const sent = JSON.parse(readFileSync(example?.bodyFile ?? "", "utf8")) as { id: string; phone: string };
    let stored: { phone: string; via: string; slug: string }[] = [];
    for (let attempt = 0; attempt < 100 && stored.length === 0; attempt += 1) {
      stored = await sql<{ phone: string; via: string; slug: string }>(
        `SELECT o.phone, o.via, b.slug FROM message_opt_outs o JOIN brands b ON b.id = o.brand_id
         WHERE o.source_id = $1`,
        [sent.id],
      );
      if (stored.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stored).toEqual([{ phone: sent.phone, via: "080", slug: "acme-skincare" }]);
  });

  it("Solapi delivery report: 200, one report queued for a message no send has", async () => {
    const example = examples.find((each) => each.kind === "solapi-receipt");
    const answer = await runCurl(example?.curl ?? "false");
    expect(answer).toEqual({ status: 200, body: { received: 1, enqueued: 1, messages: 1 } });
  });

  it("a body changed after signing is refused, and a wrong token: the signatures are real", async () => {
    for (const example of examples) {
      const tampered =
        example.auth === "signature"
          ? example.curl.replace(/--data-binary '@[^']+'$/, `--data-binary '[]'`)
          : example.curl.replace(/token=[^'&]+/, "token=wrong");
      expect(tampered).not.toBe(example.curl);
      expect((await runCurl(tampered)).status).toBe(401);
    }
  });
});
