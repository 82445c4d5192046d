import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../scripts/lib/args.ts";
import { parseResendArgs, resendRelayJobs } from "../../scripts/lib/resend.ts";

describe("npm run resend flags", () => {
  it("collects repeated ids, statuses and the selection", () => {
    expect(
      parseResendArgs([
        "--id",
        "aB3dE5fG",
        "--id",
        "Zz9Yy8Xx",
        "--partner",
        "Pq7Rs6Tu",
        "--since",
        "2026-11-22T10:00:00Z",
        "--until",
        "2026-11-23",
        "--status",
        "failed",
        "--status",
        "paused",
        "--limit",
        "25",
        "--url",
        "http://127.0.0.1:9999",
        "--key",
        "lr_test_key_123456",
      ]),
    ).toEqual({
      url: "http://127.0.0.1:9999",
      key: "lr_test_key_123456",
      ids: ["aB3dE5fG", "Zz9Yy8Xx"],
      partner: "Pq7Rs6Tu",
      since: "2026-11-22T10:00:00.000Z",
      until: "2026-11-23T00:00:00.000Z",
      status: ["failed", "paused"],
      limit: 25,
    });
  });

  it("defaults to the Worker on LEADRAIL_PORT", () => {
    const saved = process.env.LEADRAIL_PORT;
    process.env.LEADRAIL_PORT = "8877";
    try {
      expect(parseResendArgs(["--partner", "Pq7Rs6Tu", "--key", "lr_test_key_123456"])).toMatchObject({
        url: "http://127.0.0.1:8877",
      });
    } finally {
      if (saved === undefined) delete process.env.LEADRAIL_PORT;
      else process.env.LEADRAIL_PORT = saved;
    }
  });

  it("defaults to the local Worker and the admin key from the environment", () => {
    const saved = process.env.LEADRAIL_ADMIN_KEY;
    process.env.LEADRAIL_ADMIN_KEY = "lr_from_env_0000000";
    try {
      expect(parseResendArgs(["--partner", "Pq7Rs6Tu"])).toEqual({
        url: "http://127.0.0.1:8787",
        key: "lr_from_env_0000000",
        ids: [],
        partner: "Pq7Rs6Tu",
      });
    } finally {
      if (saved === undefined) delete process.env.LEADRAIL_ADMIN_KEY;
      else process.env.LEADRAIL_ADMIN_KEY = saved;
    }
  });

  it("answers --help", () => {
    expect(parseResendArgs(["--help"])).toBe("help");
  });

  it.each([
    [[], /choose the jobs: --id, --partner, or --since\/--until/],
    [["--id"], /argument missing/],
    [["--id", "12-3"], /--id: not a relay job id/],
    [["--partner", "a b"], /--partner: not a partner id/],
    [["--id", "aB3", "--status", "succeeded"], /--status: expected failed, paused, pending/],
    [["--id", "aB3", "--limit", "0"], /--limit: expected a positive integer/],
    [["--since", "yesterday"], /--since: expected an ISO 8601 time/],
    [["--since", "2026-11-22", "--until", "2026-11-21"], /--since must be before --until/],
    [["--id", "aB3", "--url", "ftp://example.com"], /--url: not an http\(s\) URL/],
    [["--id", "aB3", "--key", " "], /--key is empty/],
    [["--queue", "x"], /Unknown option '--queue'/],
    [["stray"], /unexpected argument: stray/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseResendArgs(argv)).toThrow(UsageError);
    expect(() => parseResendArgs(argv)).toThrow(message);
  });
});

describe("npm run resend → the API", () => {
  it("posts the selection to /api/v1/relays/resend with the key and returns the answer", async () => {
    const seen: { method?: string; url?: string; authorization?: string; body?: unknown }[] = [];
    const read = async (request: IncomingMessage) => {
      let text = "";
      for await (const chunk of request) text += chunk;
      return JSON.parse(text);
    };
    const server = createServer(async (request, response) => {
      seen.push({
        method: request.method,
        url: request.url,
        authorization: request.headers.authorization,
        body: await read(request),
      });
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ requeued: 1, ids: ["aB3dE5fG"] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await resendRelayJobs({
        url: `http://127.0.0.1:${port}`,
        key: "lr_test_key_123456",
        ids: [],
        partner: "Pq7Rs6Tu",
        since: "2026-11-22T10:00:00.000Z",
        status: ["failed", "paused"],
      });
      expect(answer).toEqual({ requeued: 1, ids: ["aB3dE5fG"] });
      expect(seen).toEqual([
        {
          method: "POST",
          url: "/api/v1/relays/resend",
          authorization: "Bearer lr_test_key_123456",
          body: { partner: "Pq7Rs6Tu", since: "2026-11-22T10:00:00.000Z", status: ["failed", "paused"] },
        },
      ]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
