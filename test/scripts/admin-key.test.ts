import { execFile } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { generateApiKey, looksLikeApiKey } from "../../domain/ops/api-keys.ts";
import {
  adminKeyFromEnv,
  apiKeyForm,
  BadApiKeyError,
  checkApiKey,
  defaultAdminKey,
} from "../../scripts/lib/admin-key.ts";
import { repoRoot } from "../../scripts/lib/database.ts";
import { seedDemo } from "../../scripts/lib/seed.ts";
import { startStack } from "../../scripts/lib/stack.ts";

const run = promisify(execFile);
const tsx = path.join(repoRoot, "node_modules/tsx/dist/cli.mjs");

/** A port nothing listens on: anything that tries to connect there fails at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the admin key check", () => {
  it("accepts exactly what the API accepts", () => {
    for (const key of [defaultAdminKey, generateApiKey(), "lr_12345678", `lr_${"~".repeat(200)}`]) {
      expect(looksLikeApiKey(key)).toBe(true);
      expect(checkApiKey(key, "LEADRAIL_ADMIN_KEY")).toBe(key);
    }
    for (const key of [
      "my_admin_key_123",
      "lr_1234567",
      `lr_${"a".repeat(201)}`,
      "lr_has space",
      "LR_12345678",
    ]) {
      expect(looksLikeApiKey(key)).toBe(false);
      expect(() => checkApiKey(key, "LEADRAIL_ADMIN_KEY")).toThrow(BadApiKeyError);
    }
  });

  it("names the variable, the form and what is wrong, without repeating the key", () => {
    const message = (key: string, source = "LEADRAIL_ADMIN_KEY") => {
      try {
        checkApiKey(key, source);
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
      return "accepted";
    };
    const form = '"lr_" followed by 8 to 200 printable ASCII characters without spaces';
    expect(apiKeyForm).toBe(form);
    expect(message("my_admin_key_123")).toBe(
      `LEADRAIL_ADMIN_KEY must be ${form}, the form the API accepts; it starts with "my_". Unset it to use the demo key lr_dev_admin_0000000000000000000000.`,
    );
    expect(message("lr_short", "--key")).toBe(
      `--key must be ${form}, the form the API accepts; it has 5 characters after "lr_". Unset it to use the demo key lr_dev_admin_0000000000000000000000.`,
    );
    expect(message("lr_with a space")).toContain(
      "; it contains a space or a character outside printable ASCII.",
    );
    expect(message(`lr_${"x".repeat(201)}`)).toContain('; it has 201 characters after "lr_".');
  });

  it("LEADRAIL_ADMIN_KEY: trimmed, unset or blank is the demo key, a bad one is refused", () => {
    expect(adminKeyFromEnv({})).toBe(defaultAdminKey);
    expect(adminKeyFromEnv({ LEADRAIL_ADMIN_KEY: "  " })).toBe(defaultAdminKey);
    expect(adminKeyFromEnv({ LEADRAIL_ADMIN_KEY: " lr_mine_12345678 " })).toBe("lr_mine_12345678");
    expect(() => adminKeyFromEnv({ LEADRAIL_ADMIN_KEY: "my_admin_key_123" })).toThrow(
      /^LEADRAIL_ADMIN_KEY must be "lr_" followed by 8 to 200/,
    );
  });

  it("seedDemo and startStack refuse a bad key before connecting to anything", async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/postgres`;
    await expect(seedDemo(url, "my_admin_key_123")).rejects.toThrow(/^the admin key must be "lr_"/);
    await expect(
      startStack({ databaseUrl: url, persistTo: "/nonexistent", adminKey: "my_admin_key_123" }),
    ).rejects.toThrow(/^the admin key must be "lr_"/);
  });
});

describe("commands given a key the API would refuse", () => {
  const badKey = "my_admin_key_123";

  async function command(args: string[], env: Record<string, string>) {
    // A database (and a Worker) on a closed port: a command that connected first would fail differently.
    const port = await closedPort();
    try {
      const { stdout, stderr } = await run(process.execPath, [tsx, ...args], {
        cwd: repoRoot,
        timeout: 60_000,
        env: {
          ...process.env,
          DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
          LEADRAIL_PORT: String(port),
          LEADRAIL_BRIDGE_PORT: String(await closedPort()),
          ...env,
        },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
    }
  }

  const refusal = `LEADRAIL_ADMIN_KEY must be ${apiKeyForm}, the form the API accepts; it starts with "my_".`;

  it("npm start exits 1 with the refusal before starting anything", async () => {
    const result = await command(["scripts/dev.ts"], { LEADRAIL_ADMIN_KEY: badKey });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`[leadrail] ${refusal}`);
    // Nothing started: no database, migration or seed message, no admin key printed.
    expect(result.stdout).toBe("");
    expect(result.stderr).not.toMatch(/ECONNREFUSED|connect/);
  }, 90_000);

  it("npm run seed exits 2 with the refusal, no database needed", async () => {
    const result = await command(["scripts/seed.ts"], { LEADRAIL_ADMIN_KEY: badKey });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`seed: ${refusal}`);
    expect(result.stdout).toBe("");
    expect(result.stderr).not.toMatch(/ECONNREFUSED/);
  }, 90_000);

  it.each(["replay", "resend"])(
    "npm run %s exits 2 with the refusal, from the environment or --key",
    async (name) => {
      const selection = name === "resend" ? ["--id", "aB3"] : [];
      const port = await closedPort();
      const fromEnv = await command(
        [`scripts/${name}.ts`, ...selection, "--url", `http://127.0.0.1:${port}`],
        {
          LEADRAIL_ADMIN_KEY: badKey,
        },
      );
      expect(fromEnv.code).toBe(2);
      expect(fromEnv.stderr).toContain(`${name}: ${refusal}`);
      expect(fromEnv.stderr).not.toMatch(/ECONNREFUSED|fetch failed/);
      const fromFlag = await command(
        [`scripts/${name}.ts`, ...selection, "--url", `http://127.0.0.1:${port}`, "--key", badKey],
        { LEADRAIL_ADMIN_KEY: "" },
      );
      expect(fromFlag.code).toBe(2);
      expect(fromFlag.stderr).toContain(`${name}: --key must be ${apiKeyForm}, the form the API accepts;`);
    },
    90_000,
  );
});
