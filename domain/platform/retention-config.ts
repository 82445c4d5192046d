import { z } from "zod";

const retentionDays = z.coerce.number().int().min(1).max(3650).default(90);

/**
 * How long the nightly retention clean-up keeps raw logs, in days (domain/batches). Part of the Worker's
 * configuration (env.ts), and read the same way by `npm run batch`, which has no Worker bindings.
 */
export const retentionConfigSchema = z.object({
  /** Capture HTTP logs (headers, body, user agent, IP) older than this lose those parts. */
  RETENTION_DAYS_HTTP_LOGS: retentionDays,
  /** Relay attempts older than this lose their request and response bodies. */
  RETENTION_DAYS_RELAY_BODIES: retentionDays,
});
export type RetentionConfig = z.infer<typeof retentionConfigSchema>;
