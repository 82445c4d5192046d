import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const depcruise = path.join(root, "node_modules/.bin/depcruise");
const config = path.join(root, ".dependency-cruiser.cjs");

/** The project's module settings (`.ts` specifiers, bundler resolution) over every file of a fixture tree. */
const fixtureTsconfig = {
  compilerOptions: {
    module: "ESNext",
    moduleResolution: "Bundler",
    allowImportingTsExtensions: true,
    noEmit: true,
  },
  include: ["**/*"],
};

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Runs the project's rules over `dirs` of `cwd`; the violations, as `rule from → to`. */
async function violations(cwd: string, dirs: readonly string[]): Promise<string[]> {
  const { stdout } = await run(depcruise, [...dirs, "--config", config, "--output-type", "json"], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
  const result = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return result.summary.violations.map((v) => `${v.rule.name} ${v.from} → ${v.to}`).sort();
}

describe("import direction (workers → api | queues → domain → db)", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "leadrail-imports-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** A tree of files each importing one other file. */
  function tree(name: string, imports: readonly (readonly [from: string, to: string])[]): string {
    const dir = path.join(scratch, name);
    const write = (file: string, text: string) => {
      mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };
    write("tsconfig.json", JSON.stringify(fixtureTsconfig));
    for (const [from, to] of imports) {
      let specifier = path.relative(path.dirname(from), to);
      if (!specifier.startsWith(".")) specifier = `./${specifier}`;
      write(to, "export const value = 1;\n");
      write(from, `import { value } from "${specifier}";\nexport const copy = value;\n`);
    }
    return dir;
  }
  const layers = ["workers", "api", "queues", "domain", "db", "scripts", "bench", "test"];

  it("finds no violation in the repository", async () => {
    expect(await violations(root, layers)).toEqual([]);
  }, 60_000);

  const refused: [string, string, string][] = [
    ["domain-stands-on-db", "domain/ledger/orders.ts", "queues/capture/sql.ts"],
    ["domain-stands-on-db", "domain/ops/failed-events.ts", "workers/queue-names.ts"],
    ["domain-stands-on-db", "domain/relay/test-fire.ts", "api/schemas/common.ts"],
    ["db-stands-alone", "db/schema/sales.ts", "domain/core/errors.ts"],
    ["domain-core-below-areas", "domain/core/errors.ts", "domain/capture/field-validation.ts"],
    ["api-and-queues-apart", "api/routes/relays.resend.ts", "queues/capture/stages/10-relay-dispatch.ts"],
    ["api-and-queues-apart", "api/hono-env.ts", "workers/edge/router.ts"],
    ["queues-and-api-apart", "queues/relay/handler.ts", "workers/queue-names.ts"],
    ["product-imports-no-tooling", "workers/index.ts", "scripts/lib/stack.ts"],
    ["product-imports-no-tooling", "domain/core/verb.ts", "test/support/random.ts"],
    ["product-imports-no-tooling", "db/client.ts", "bench/lib.ts"],
    ["scripts-do-not-import-bench-or-tests", "scripts/lib/seed.ts", "test/support/fixtures.ts"],
    ["scripts-do-not-import-bench-or-tests", "scripts/dev.ts", "bench/lib.ts"],
  ];

  it("refuses every upward or sideways import, naming its rule", async () => {
    const dir = tree(
      "refused",
      refused.map(([, from, to]) => [from, to] as const),
    );
    expect(await violations(dir, layers)).toEqual(
      refused.map(([rule, from, to]) => `${rule} ${from} → ${to}`).sort(),
    );
  }, 60_000);

  const allowed: [string, string][] = [
    ["workers/index.ts", "api/app.ts"],
    ["workers/index.ts", "queues/capture/handler.ts"],
    ["api/routes/orders.create.ts", "domain/ledger/orders.ts"],
    ["queues/capture/pipeline.ts", "db/sql.ts"],
    ["domain/ledger/orders.ts", "domain/contacts/identity.ts"],
    ["domain/capture/field-validation.ts", "domain/core/errors.ts"],
    ["bench/redirect.ts", "test/support/fixtures.ts"],
    ["scripts/lib/seed.ts", "domain/core/hash-ids.ts"],
    ["test/global-setup.ts", "scripts/lib/database.ts"],
    ["test/scripts/wrangler-toml.test.ts", "bench/common.ts"],
  ];

  it("allows every import that goes down", async () => {
    expect(await violations(tree("allowed", allowed), layers)).toEqual([]);
  }, 60_000);
});

describe("domain/ areas", () => {
  const domain = path.join(root, "domain");
  const areas = readdirSync(domain, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

  it("holds only area folders", () => {
    expect(readdirSync(domain).filter((name) => !areas.includes(name))).toEqual([]);
  });

  it.each(areas)("%s/README.md lists every file of the area and the areas it uses", (area) => {
    const dir = path.join(domain, area);
    const files = readdirSync(dir)
      .filter((name) => name.endsWith(".ts"))
      .sort();
    const uses = new Set<string>();
    for (const file of files) {
      for (const match of readFileSync(path.join(dir, file), "utf8").matchAll(/from "\.\.\/([a-z-]+)\//g)) {
        if (match[1]) uses.add(match[1]);
      }
    }
    const readme = readFileSync(path.join(dir, "README.md"), "utf8");
    const listed = [...readme.matchAll(/^- `([^`]+)` — /gm)].map((match) => match[1]).sort();
    expect(listed).toEqual(files);
    const usesLine = readme.match(/^Uses: (.*)\.$/m)?.[1];
    expect(usesLine).toBe(uses.size ? [...uses].sort().join(", ") : "no other area");
  });
});
