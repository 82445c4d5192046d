/**
 * Requests in flight at once. A Worker invocation lets at most six outbound connections wait for their
 * response headers at a time and queues the rest (since April 2026 a connection stops counting once its
 * headers arrive, so the database's open WebSocket does not hold a place). A queued request's timeout runs
 * while it waits; with more than six in flight, a few slow partners would make the requests queued behind
 * them time out unsent and count as failures against their own partners.
 */
export const relayConcurrency = 6;
