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
