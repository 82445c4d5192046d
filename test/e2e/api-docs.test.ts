import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { apiReferenceBundlePath } from "../../api/docs-assets.ts";
import { assetDigest } from "../../scripts/build-assets.ts";
import { e2e } from "./support.ts";

/** The reference as `wrangler dev` serves it: [build] copied the bundle, [assets] serves it under /docs/assets/. */
describe(`API reference through wrangler dev (${e2e.databaseKind})`, () => {
  it("loads its script from the Worker, byte for byte the installed bundle, and nothing from another origin", async () => {
    const page = await fetch(new URL("/docs", e2e.baseUrl));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:/);
    const scripts = [...html.matchAll(/<script src="([^"]*)"/g)].map((match) => match[1]);
    expect(scripts).toEqual([apiReferenceBundlePath]);

    const bundle = await fetch(new URL(apiReferenceBundlePath, e2e.baseUrl));
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const bytes = Buffer.from(await bundle.arrayBuffer());
    const expected = assetDigest(apiReferenceBundlePath);
    expect(bytes.length).toBe(expected.bytes);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(expected.sha256);
  });
});
