/** Queue names as in wrangler.toml; `batch.queue` carries them. */
export const queueNames = {
  captures: "leadrail-captures",
  capturesDeadLetter: "leadrail-captures-dlq",
  relays: "leadrail-relays",
  relaysDeadLetter: "leadrail-relays-dlq",
  events: "leadrail-events",
  eventsDeadLetter: "leadrail-events-dlq",
  sends: "leadrail-sends",
  sendsDeadLetter: "leadrail-sends-dlq",
} as const;

/** Cloudflare Queues accept a delivery delay of at most 12 hours; a longer wait is taken in several hops. */
export const maxQueueDelaySeconds = 43_200;
