import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";

/**
 * The webhook secrets `npm start` gives the local Worker, so every webhook can be tried on this machine:
 * generated once and kept in `<data dir>/dev-secrets.json`, each one replaced by the same name in `.dev.vars`
 * when that file sets it. Production never sees these: there they are Worker secrets (`wrangler secret put`).
 */

/**
 * The Worker secrets the webhooks need, and the dashboard's session signing secret; unset, each webhook (and
 * the dashboard) answers 503.
 */
export const webhookSecretNames = [
  "SHOPIFY_WEBHOOK_SECRET",
  "EMAIL_WEBHOOK_SECRET",
  "COMMERCE_WEBHOOK_SECRET",
  "SENDGRID_WEBHOOK_PUBLIC_KEY",
  "MESSAGING_WEBHOOK_TOKEN",
  "MESSAGING_OPTOUT_WEBHOOK_SECRET",
  "DASHBOARD_SESSION_SECRET",
] as const;
export type WebhookSecretName = (typeof webhookSecretNames)[number];

/** What dev-secrets.json keeps: the secrets, and the private half of the SendGrid key pair. */
export interface GeneratedSecrets extends Record<WebhookSecretName, string> {
  /** base64 of the DER PKCS#8 P-256 private key that signs like SendGrid does; never given to the Worker. */
  SENDGRID_WEBHOOK_PRIVATE_KEY: string;
}

export interface DevSecrets {
  /** What the Worker gets for each secret. */
  values: Record<WebhookSecretName, string>;
  /** Where each value came from. */
  sources: Record<WebhookSecretName, "generated" | ".dev.vars">;
  /**
   * The key that signs SendGrid's webhook for `values.SENDGRID_WEBHOOK_PUBLIC_KEY`, or null when that
   * public key is not the generated one (.dev.vars names a key whose private half only SendGrid has).
   */
  sendGridPrivateKey: string | null;
  /** dev-secrets.json. */
  file: string;
  /** True when this call generated something (a first start, or a secret missing from the file). */
  generated: boolean;
  /**
   * The env files for `wrangler dev` (`--env-file`, later files win): the generated secrets, written to
   * dev-secrets.env beside dev-secrets.json (owner-only), then `.dev.vars` when there is one, so it still
   * wins for any name it sets and everything else in it reaches the Worker as before. Files rather than
   * `--var`: a value on a command line is readable by every user of the machine in the process list.
   */
  envFiles: string[];
}

const generators = {
  SHOPIFY_WEBHOOK_SECRET: () => `shpss_dev_${randomBytes(16).toString("hex")}`,
  EMAIL_WEBHOOK_SECRET: () => `email_dev_${randomBytes(24).toString("hex")}`,
  COMMERCE_WEBHOOK_SECRET: () => `commerce_dev_${randomBytes(24).toString("hex")}`,
  MESSAGING_WEBHOOK_TOKEN: () => `receipts_dev_${randomBytes(24).toString("hex")}`,
  MESSAGING_OPTOUT_WEBHOOK_SECRET: () => `optout_dev_${randomBytes(24).toString("hex")}`,
  DASHBOARD_SESSION_SECRET: () => `dashboard_dev_${randomBytes(32).toString("hex")}`,
};

/** A P-256 key pair in the forms SendGrid uses: the public key as base64 SPKI, the private as base64 PKCS#8. */
export function sendGridKeyPair(): { publicKey: string; privateKey: string } {
  const pair = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return {
    publicKey: pair.publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    privateKey: pair.privateKey.export({ type: "pkcs8", format: "der" }).toString("base64"),
  };
}

/**
 * The generated secrets of `file`, generating (and keeping) whatever it lacks: the first start writes it,
 * later starts read the same secrets back, so a sender configured once keeps working.
 */
export function loadGeneratedSecrets(file: string): { secrets: GeneratedSecrets; generated: boolean } {
  let stored: Partial<Record<keyof GeneratedSecrets, unknown>> = {};
  if (existsSync(file)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not an object");
      stored = parsed as typeof stored;
    } catch (error) {
      throw new Error(
        `${file} is not readable JSON (${error instanceof Error ? error.message : String(error)}); delete it to generate new development secrets`,
      );
    }
  }
  const text = (name: keyof GeneratedSecrets): string | undefined => {
    const value = stored[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  let generated = false;
  const secrets = {} as GeneratedSecrets;
  for (const name of ["SHOPIFY_WEBHOOK_SECRET", "EMAIL_WEBHOOK_SECRET", "COMMERCE_WEBHOOK_SECRET"] as const) {
    const value = text(name);
    secrets[name] = value ?? generators[name]();
    if (value === undefined) generated = true;
  }
  const publicKey = text("SENDGRID_WEBHOOK_PUBLIC_KEY");
  const privateKey = text("SENDGRID_WEBHOOK_PRIVATE_KEY");
  if (publicKey && privateKey) {
    secrets.SENDGRID_WEBHOOK_PUBLIC_KEY = publicKey;
    secrets.SENDGRID_WEBHOOK_PRIVATE_KEY = privateKey;
  } else {
    // Half a pair is no use: both are made again.
    const pair = sendGridKeyPair();
    secrets.SENDGRID_WEBHOOK_PUBLIC_KEY = pair.publicKey;
    secrets.SENDGRID_WEBHOOK_PRIVATE_KEY = pair.privateKey;
    generated = true;
  }
  for (const name of [
    "MESSAGING_WEBHOOK_TOKEN",
    "MESSAGING_OPTOUT_WEBHOOK_SECRET",
    "DASHBOARD_SESSION_SECRET",
  ] as const) {
    const value = text(name);
    secrets[name] = value ?? generators[name]();
    if (value === undefined) generated = true;
  }
  if (generated) writePrivate(file, `${JSON.stringify(secrets, null, 2)}\n`);
  return { secrets, generated };
}

/** `.dev.vars` as wrangler reads it (dotenv syntax), or null when there is none. */
export function readDevVars(file: string): Record<string, string> | null {
  if (!existsSync(file)) return null;
  return parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
}

/**
 * The secrets of a local start: the generated ones (from `dataDir`/dev-secrets.json), each replaced by
 * `.dev.vars` when that sets the same name (even to an empty value, which leaves the webhook off); also
 * writes the env file wrangler reads them from.
 */
export function devSecrets(dataDir: string, devVarsFile: string | null): DevSecrets {
  const file = path.join(dataDir, "dev-secrets.json");
  const { secrets, generated } = loadGeneratedSecrets(file);
  const devVars = devVarsFile ? readDevVars(devVarsFile) : null;
  const envFile = path.join(dataDir, "dev-secrets.env");
  const lines = [
    "# Written by `npm start` from dev-secrets.json on every start; .dev.vars overrides any of these.",
    ...webhookSecretNames.map((name) => `${name}="${secrets[name]}"`),
  ];
  writePrivate(envFile, `${lines.join("\n")}\n`);
  const envFiles = devVars && devVarsFile ? [envFile, devVarsFile] : [envFile];
  const values = {} as DevSecrets["values"];
  const sources = {} as DevSecrets["sources"];
  for (const name of webhookSecretNames) {
    const own = devVars?.[name];
    values[name] = own ?? secrets[name];
    sources[name] = own === undefined ? "generated" : ".dev.vars";
  }
  const sendGridPrivateKey =
    values.SENDGRID_WEBHOOK_PUBLIC_KEY === secrets.SENDGRID_WEBHOOK_PUBLIC_KEY
      ? secrets.SENDGRID_WEBHOOK_PRIVATE_KEY
      : null;
  return { values, sources, sendGridPrivateKey, file, generated, envFiles };
}

/** Writes a file only its owner can read, replacing it whole (a crash never leaves half a secret). */
function writePrivate(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, file);
}

/**
 * The Worker's delivery report webhook on a local `wrangler dev` port, with the token it checks, for the
 * message simulator to post to; none when the token is left empty (.dev.vars).
 */
export function receiptWebhookUrl(port: number, token: string): string | undefined {
  return token
    ? `http://127.0.0.1:${port}/webhooks/messaging/solapi?token=${encodeURIComponent(token)}`
    : undefined;
}
