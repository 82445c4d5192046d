import { and, asc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { brands } from "../../db/schema/catalog.ts";
import { apiKeys } from "../../db/schema/ops.ts";
import { pgArray } from "../../db/sql.ts";
import { sha256Hex } from "../contacts/email.ts";
import { FieldErrors, NotFound } from "../core/errors.ts";
import type { Principal } from "../core/scope.ts";
import { assertAdmin } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import { type Page, type PageInput, toPage, type VerbContext } from "../core/verb.ts";

export type ApiKey = typeof apiKeys.$inferSelect;

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const secretLength = 32;
/** How much of a key is kept in clear to recognise it in lists (`lr_` and 9 characters). */
export const prefixLength = 12;

/** A new secret: `lr_` and 32 base62 characters (about 190 bits), drawn without modulo bias. */
export function generateApiKey(): string {
  let secret = "";
  while (secret.length < secretLength) {
    for (const byte of crypto.getRandomValues(new Uint8Array(64))) {
      // 248 = 4 × 62: bytes above it would favour the first characters.
      if (byte < 248 && secret.length < secretLength) secret += base62[byte % 62];
    }
  }
  return `lr_${secret}`;
}

export const hashApiKey = (key: string): string => sha256Hex(key);

/** Cheap shape check before any lookup: keys start with `lr_` and are printable ASCII without spaces. */
export const looksLikeApiKey = (value: string): boolean => /^lr_[\x21-\x7e]{8,200}$/.test(value);

export type AuthResult =
  | { ok: true; principal: Principal; lastUsedAt: Date | null }
  | { ok: false; reason: "unknown" | "revoked" };

/** Looks a presented key up by its SHA-256: the plaintext is never stored or compared. */
export async function authenticateApiKey(db: Executor, key: string): Promise<AuthResult> {
  if (!looksLikeApiKey(key)) return { ok: false, reason: "unknown" };
  const [row] = await db
    .select({
      id: apiKeys.id,
      brandIds: apiKeys.brandIds,
      isAdmin: apiKeys.isAdmin,
      revokedAt: apiKeys.revokedAt,
      lastUsedAt: apiKeys.lastUsedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, hashApiKey(key)))
    // Every API request runs it: parsed and planned once per server connection (see executePrepared).
    .prepare("leadrail_api_key")
    .execute();
  if (!row) return { ok: false, reason: "unknown" };
  if (row.revokedAt !== null) return { ok: false, reason: "revoked" };
  return {
    ok: true,
    principal: { apiKeyId: row.id, brandIds: row.brandIds, isAdmin: row.isAdmin },
    lastUsedAt: row.lastUsedAt,
  };
}

/** How stale `last_used_at` may get: a busy key is written at most once a minute. */
const touchIntervalMs = 60_000;

/** Records that a key was used, unless that was recorded less than a minute ago. */
export async function touchApiKey(db: Executor, apiKeyId: number, now = new Date()): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(apiKeys.id, apiKeyId),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - touchIntervalMs))),
      ),
    );
}

export const needsTouch = (lastUsedAt: Date | null, now = new Date()): boolean =>
  lastUsedAt === null || now.getTime() - lastUsedAt.getTime() >= touchIntervalMs;

export interface CreateApiKeyInput {
  name: string;
  /** Brand hash ids the key is limited to; `null` for every brand. */
  brands: string[] | null;
  isAdmin: boolean;
}

/** Creates a key (admins only) and returns its plaintext, which is never stored and never shown again. */
export async function createApiKey({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: CreateApiKeyInput;
}): Promise<{ key: ApiKey; secret: string }> {
  assertAdmin(ctx.principal);
  const errors = new FieldErrors();
  if (input.isAdmin && input.brands !== null)
    errors.add("is_admin", "not_allowed", "An admin key is for every brand; leave brands out.");
  const brandIds: number[] = [];
  input.brands?.forEach((value, index) => {
    const id = ctx.ids.decode("brand", value);
    if (id === null) errors.add(`brands.${index}`, "malformed", "Not a brand id.");
    else brandIds.push(id);
  });
  errors.throwIfAny();
  return withTransaction(ctx.db, async (tx) => {
    if (input.brands !== null) {
      const found = await tx
        .select({ id: brands.id })
        .from(brands)
        .where(sql`${brands.id} = ANY(${pgArray(brandIds)}::bigint[])`);
      const existing = new Set(found.map((row) => row.id));
      brandIds.forEach((id, index) => {
        if (!existing.has(id)) errors.add(`brands.${index}`, "not_found", "No such brand.");
      });
      errors.throwIfAny();
    }
    const secret = generateApiKey();
    const [key] = await tx
      .insert(apiKeys)
      .values({
        name: input.name,
        prefix: secret.slice(0, prefixLength),
        keyHash: hashApiKey(secret),
        brandIds: input.brands === null ? null : [...new Set(brandIds)],
        isAdmin: input.isAdmin,
      })
      .returning();
    if (!key) throw new Error("api key insert returned no row");
    return { key, secret };
  });
}

export async function listApiKeys({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: PageInput;
}): Promise<Page<ApiKey>> {
  assertAdmin(ctx.principal);
  const rows = await ctx.db
    .select()
    .from(apiKeys)
    .where(input.after === null ? undefined : gt(apiKeys.id, input.after))
    .orderBy(asc(apiKeys.id))
    .limit(input.limit + 1);
  return toPage(rows, input.limit);
}

/** Revokes a key (admins only); revoking a revoked key changes nothing. */
export async function revokeApiKey({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { id: number };
}): Promise<ApiKey> {
  assertAdmin(ctx.principal);
  return withTransaction(ctx.db, async (tx) => {
    const [updated] = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
      .where(eq(apiKeys.id, input.id))
      .returning();
    if (!updated) throw new NotFound("API key");
    return updated;
  });
}
