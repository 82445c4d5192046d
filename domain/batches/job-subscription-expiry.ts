import { expireEndedSubscriptions } from "../subscriptions/expiry.ts";
import { endOfDate } from "./dates.ts";
import type { BatchJob } from "./job.ts";

/**
 * Subscriptions whose current period ended before the end of the run date (UTC), in a state that may
 * expire, become `expired` with a history row each (domain/subscriptions/expiry.ts). A re-run finds
 * nothing more to expire.
 */
export const subscriptionExpiryJob: BatchJob = {
  name: "subscription-expiry",
  summary: "Expires subscriptions whose current period ended.",
  cron: "10 0 * * *",
  chunkSize: 1000,
  async chunk({ tx, date, limit }) {
    const rows = await expireEndedSubscriptions(tx, { before: endOfDate(date), limit });
    return { rows, done: rows < limit };
  },
};
