import { eq, sql } from "drizzle-orm";
import { brandMessagingSettings } from "../../db/schema/messaging.ts";
import { FieldErrors, NotFound } from "../core/errors.ts";
import { assertBrand } from "../core/scope.ts";
import { withTransaction } from "../core/transaction.ts";
import type { VerbContext } from "../core/verb.ts";
import { checkSend } from "./compliance.ts";
import { normalizeSenderNumber } from "./provider.ts";
import { noticeChannel } from "./render.ts";
import type { BrandSettings } from "./send-plan.ts";

export type MessagingSettings = typeof brandMessagingSettings.$inferSelect;

/** What `PUT …/messaging-settings` writes: the brand and its sending identity as the sends consumer reads it. */
export type MessagingSettingsInput = BrandSettings & { brandId: number };

/**
 * The field errors of a brand's messaging settings: the sender number must be one the provider takes, the
 * opt-out number a free 080 number (the gate refuses every advertisement otherwise), the contact a phone
 * number, and the re-confirmation notice an informational SMS or LMS the gate's message rules pass.
 */
export function settingsErrors(input: MessagingSettingsInput): FieldErrors {
  const errors = new FieldErrors();
  if (normalizeSenderNumber(input.senderNumber) === null)
    errors.add(
      "sender_number",
      "malformed",
      "Not a Korean sender number (landline, mobile or 8-digit 15xx/16xx).",
    );
  if (!input.optOutNumber.replace(/\D/g, "").startsWith("080"))
    errors.add("opt_out_number", "malformed", "The free opt-out number is an 080 number.");
  if (!/\d/.test(input.senderContact))
    errors.add("sender_contact", "malformed", "A phone number to contact.");
  const channel = noticeChannel(input.reconfirmText);
  const decision = checkSend(
    { channel, class: "informational", text: input.reconfirmText },
    { timeZone: "Asia/Seoul", consents: [], optOuts: [], sends: [] },
    {
      now: new Date(0),
      brandId: input.brandId,
      sender: { name: input.senderName, contact: input.senderContact, optOutNumber: input.optOutNumber },
      frequencyCaps: {},
    },
  );
  if (decision.decision === "refuse")
    errors.add(
      "reconfirm_text",
      decision.rule === "text.empty"
        ? "missing"
        : decision.rule.startsWith("length")
          ? "too_long"
          : "malformed",
      `${decision.rule}: ${decision.detail}`,
    );
  return errors;
}

/** Creates or replaces a brand's messaging settings; `created` says which. */
export async function putMessagingSettings({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: MessagingSettingsInput;
}): Promise<{ settings: MessagingSettings; created: boolean }> {
  assertBrand(ctx.principal, input.brandId);
  settingsErrors(input).throwIfAny();
  const senderNumber = normalizeSenderNumber(input.senderNumber) ?? input.senderNumber;
  return withTransaction(ctx.db, async (tx) => {
    const found = await tx.execute<{ brand: boolean; settings: boolean }>(
      sql`SELECT EXISTS (SELECT 1 FROM brands WHERE id = ${input.brandId}) AS brand,
        EXISTS (SELECT 1 FROM brand_messaging_settings WHERE brand_id = ${input.brandId}) AS settings`,
    );
    if (!found.rows[0]?.brand) throw new NotFound("brand");
    const values = {
      senderName: input.senderName,
      senderContact: input.senderContact,
      optOutNumber: input.optOutNumber,
      senderNumber,
      kakaoSenderKey: input.kakaoSenderKey,
      frequencyCaps: input.frequencyCaps,
      reconfirmText: input.reconfirmText,
    };
    const [row] = await tx
      .insert(brandMessagingSettings)
      .values({ brandId: input.brandId, ...values })
      .onConflictDoUpdate({
        target: brandMessagingSettings.brandId,
        set: { ...values, updatedAt: sql`now()` },
      })
      .returning();
    if (!row) throw new NotFound("brand");
    return { settings: row, created: !found.rows[0]?.settings };
  });
}

export async function getMessagingSettings({
  ctx,
  input,
}: {
  ctx: VerbContext;
  input: { brandId: number };
}): Promise<MessagingSettings> {
  assertBrand(ctx.principal, input.brandId);
  const [row] = await ctx.db
    .select()
    .from(brandMessagingSettings)
    .where(eq(brandMessagingSettings.brandId, input.brandId));
  if (!row) throw new NotFound("messaging settings", "The brand has no messaging settings.");
  return row;
}
