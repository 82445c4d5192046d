import { z } from "@hono/zod-openapi";
import type { HashIds } from "../../domain/core/hash-ids.ts";
import { type Conversion, conversionStatuses } from "../../domain/relay/conversions.ts";
import { hashId, iso, timestamp } from "./common.ts";
import { instant } from "./failed-event.ts";

export const conversionSchema = z
  .object({
    id: hashId("Conversion id."),
    status: z.enum(conversionStatuses).openapi({
      description:
        "`matched`: attached to a capture by its click id or transaction id; `unmatched`: none found yet (a capture stored later still claims it).",
    }),
    partner: hashId("The partner that reported it (and signed the call)."),
    brand: z.string().nullable().openapi({ description: "The brand of its capture; null while unmatched." }),
    capture: z.uuid().nullable().openapi({ description: "The capture it was attached to." }),
    click_id: z.string().nullable(),
    transaction_id: z
      .string()
      .nullable()
      .openapi({ description: "As the partner sent it; null when it sent only a click id." }),
    event: z.string().openapi({ example: "sale" }),
    amount: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Integer minor units of `currency` (cents, won).", example: 1990 }),
    currency: z.string().nullable().openapi({ example: "USD" }),
    params: z.record(z.string(), z.string()).openapi({
      description:
        "Every parameter of the call as received (the fields above are read from them); the signature is never stored.",
    }),
    received_at: timestamp.openapi({ description: "When the edge received the call." }),
    created_at: timestamp.openapi({ description: "When the events consumer stored it." }),
  })
  .openapi("Conversion");
export type ConversionJson = z.infer<typeof conversionSchema>;

export const presentConversion = (ids: HashIds, conversion: Conversion): ConversionJson => ({
  id: ids.encode("conversion", conversion.id),
  status: conversion.captureId === null ? "unmatched" : "matched",
  partner: ids.encode("partner", conversion.partnerId),
  brand: conversion.brandId === null ? null : ids.encode("brand", conversion.brandId),
  capture: conversion.captureId,
  click_id: conversion.clickId,
  transaction_id: conversion.transactionId,
  event: conversion.event,
  amount: conversion.amount,
  currency: conversion.currency,
  params: conversion.params,
  received_at: iso(conversion.receivedAt),
  created_at: iso(conversion.createdAt),
});

export const listConversionsQuery = {
  partner: hashId("Only this partner's conversions.")
    .optional()
    .openapi({ param: { name: "partner", in: "query" } }),
  capture: z
    .uuid()
    .optional()
    .openapi({
      param: { name: "capture", in: "query" },
      description: "Only those attached to this capture.",
    }),
  event: z
    .string()
    .regex(/^[a-z0-9_.-]{1,64}$/, "Lower-case letters, digits, _ . - (at most 64).")
    .optional()
    .openapi({ param: { name: "event", in: "query" }, example: "sale" }),
  status: z
    .enum(conversionStatuses)
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
  since: instant
    .optional()
    .openapi({ param: { name: "since", in: "query" }, description: "Received at or after." }),
  until: instant
    .optional()
    .openapi({ param: { name: "until", in: "query" }, description: "Received before (after `since`)." }),
};
