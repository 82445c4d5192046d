import { z } from "zod";

const optionalSecret = z
  .string()
  .optional()
  .transform((value) => (value ? value : undefined));

/**
 * The messaging provider's settings (domain/messaging/solapi.ts): where its API answers, how long one
 * request may take, and its credentials (Worker secrets). `npm start` points the base URL at the local
 * simulator and gives the simulator's development credentials.
 */
export const messagingConfigSchema = z.object({
  /** Solapi's REST API, or the simulator's URL locally. */
  MESSAGING_PROVIDER_BASE_URL: z.url({ protocol: /^https?$/ }).default("https://api.solapi.com"),
  /** The longest one provider request may take, answer included, in milliseconds (100–60,000). */
  MESSAGING_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** The most messages handed to the provider per second (the sends consumer paces every batch to it). */
  MESSAGING_PROVIDER_RATE_PER_SECOND: z.coerce.number().int().min(1).max(100_000).default(2000),
  /** The origin of tracked links (`<base>/m/<token>`), the edge's public host. */
  MESSAGE_LINK_BASE_URL: z.url({ protocol: /^https?$/ }).default("http://127.0.0.1:8787"),
  /** The provider's API key; unset, nothing can be sent. */
  MESSAGING_PROVIDER_API_KEY: optionalSecret,
  /** The provider's API secret (signs each request); unset, nothing can be sent. */
  MESSAGING_PROVIDER_API_SECRET: optionalSecret,
});
export type MessagingConfig = z.infer<typeof messagingConfigSchema>;
