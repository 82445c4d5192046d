/**
 * The floor of the redirect benchmark: a Worker that does nothing but answer with a redirect,
 * built and run exactly like the real one, so the difference between the two is the edge's own work.
 */
export default {
  fetch(): Response {
    return new Response(null, {
      status: 302,
      headers: { location: "https://floor.leadrail.test/", "cache-control": "no-store" },
    });
  },
};
