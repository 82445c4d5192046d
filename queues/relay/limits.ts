/**
 * Requests in flight at once: a Worker invocation keeps at most six connections open (fetches, sockets,
 * the database's WebSocket among them) and queues the rest, and a queued request's timeout runs while it
 * waits. Five beside the database connection means each request's timeout measures the recipient, so a
 * slow partner cannot make the requests behind it time out and count as failures of their own partners.
 */
export const relayConcurrency = 5;
