import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("reaches Postgres through the bridge", async () => {
  const response = await exports.default.fetch("http://x/hello");
  expect(await response.json()).toEqual({ path: "/hello", brands: { n: 0 } });
});
