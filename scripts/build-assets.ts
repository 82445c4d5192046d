/**
 * Copies the Worker's static assets out of node_modules: today the API reference's browser bundle, which /docs
 * loads from the Worker itself so the page works offline and behind a strict network policy. The copy is
 * generated (dist/ is not committed): wrangler.toml's [build] runs this before every `wrangler dev` (so
 * `npm start` and the e2e stack) and `wrangler deploy`; the vitest workers pool runs no [build], so the tests'
 * global setup calls {@link buildAssets} itself.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { apiReferenceBundlePath } from "../api/docs-assets.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** wrangler.toml's `[assets] directory`. */
export const assetsDir = path.join(repoRoot, "dist/assets");

const require = createRequire(import.meta.url);

/** Every asset: its URL path and the installed file it is a copy of. */
export const assetSources: Record<string, string> = {
  [apiReferenceBundlePath]: require.resolve("@scalar/api-reference/browser/standalone.js"),
};

/** Size and SHA-256 (hex) of the file an asset is copied from. */
export function assetDigest(urlPath: string): { bytes: number; sha256: string } {
  const source = assetSources[urlPath];
  if (!source) throw new Error(`no asset at ${urlPath}`);
  const bytes = readFileSync(source);
  return { bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/** Writes every asset; one whose bytes are already there is left alone (`wrangler dev` reloads on a write). */
export function buildAssets(): string[] {
  const written: string[] = [];
  for (const [urlPath, source] of Object.entries(assetSources)) {
    const target = path.join(assetsDir, urlPath);
    const bytes = readFileSync(source);
    let current: Buffer | undefined;
    try {
      current = readFileSync(target);
    } catch {
      current = undefined;
    }
    if (current?.equals(bytes)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    // Written beside the assets directory and renamed into place: a running `wrangler dev` never serves half
    // a file, and an interrupted copy leaves nothing in the directory that would be deployed.
    const partial = path.join(path.dirname(assetsDir), `.${path.basename(target)}.${process.pid}.tmp`);
    writeFileSync(partial, bytes);
    renameSync(partial, target);
    written.push(path.relative(repoRoot, target));
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = buildAssets();
  console.log(written.length ? `assets: wrote ${written.join(", ")}` : "assets: up to date");
}
