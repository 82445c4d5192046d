import { describe, expect, it } from "vitest";
import { UsageError } from "../../scripts/lib/args.ts";
import { localWorkerUrl, parseReplayArgs } from "../../scripts/lib/replay.ts";

describe("npm run replay flags", () => {
  it("collects repeated ids and the selection", () => {
    expect(
      parseReplayArgs([
        "--id",
        "aB3dE5fG",
        "--id",
        "Zz9Yy8Xx",
        "--queue",
        "leadrail-captures",
        "--since",
        "2026-11-22T10:00:00Z",
        "--until",
        "2026-11-23",
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
      queue: "leadrail-captures",
      since: "2026-11-22T10:00:00.000Z",
      until: "2026-11-23T00:00:00.000Z",
      limit: 25,
    });
  });

  it("defaults to the local Worker and the admin key from the environment", () => {
    const saved = process.env.LEADRAIL_ADMIN_KEY;
    process.env.LEADRAIL_ADMIN_KEY = "lr_from_env_0000000";
    try {
      expect(parseReplayArgs([])).toEqual({
        url: "http://127.0.0.1:8787",
        key: "lr_from_env_0000000",
        ids: [],
      });
    } finally {
      if (saved === undefined) delete process.env.LEADRAIL_ADMIN_KEY;
      else process.env.LEADRAIL_ADMIN_KEY = saved;
    }
  });

  it("defaults to the Worker on LEADRAIL_PORT, as npm start runs it there", () => {
    const saved = process.env.LEADRAIL_PORT;
    process.env.LEADRAIL_PORT = "8877";
    try {
      expect(parseReplayArgs(["--key", "lr_test_key_123456"])).toEqual({
        url: "http://127.0.0.1:8877",
        key: "lr_test_key_123456",
        ids: [],
      });
      // --url still wins.
      expect(parseReplayArgs(["--url", "https://leadrail.example", "--key", "lr_test_key_123456"])).toEqual({
        url: "https://leadrail.example",
        key: "lr_test_key_123456",
        ids: [],
      });
    } finally {
      if (saved === undefined) delete process.env.LEADRAIL_PORT;
      else process.env.LEADRAIL_PORT = saved;
    }
    expect(localWorkerUrl({})).toBe("http://127.0.0.1:8787");
    expect(localWorkerUrl({ LEADRAIL_PORT: "" })).toBe("http://127.0.0.1:8787");
    expect(() => localWorkerUrl({ LEADRAIL_PORT: "88a" })).toThrow(
      new UsageError('LEADRAIL_PORT must be a port number (1-65535), got "88a"'),
    );
  });

  it("answers --help", () => {
    expect(parseReplayArgs(["--help"])).toBe("help");
  });

  it.each([
    [["--id"], /argument missing/],
    [["--id", "12-3"], /--id: not a failed event id/],
    [["--limit", "0"], /--limit: expected a positive integer/],
    [["--limit", "2.5"], /--limit: expected a positive integer/],
    [["--since", "yesterday"], /--since: expected an ISO 8601 time/],
    [["--since", "2026-11-22T10:00:00"], /--since: expected an ISO 8601 time/],
    [["--since", "2026-11-22", "--until", "2026-11-21"], /--since must be before --until/],
    [["--queue", "Bad_Queue"], /--queue: not a queue name/],
    [["--url", "ftp://example.com"], /--url: not an http\(s\) URL/],
    [["--key", " "], /--key is empty/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["stray"], /unexpected argument: stray/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseReplayArgs(argv)).toThrow(UsageError);
    expect(() => parseReplayArgs(argv)).toThrow(message);
  });
});
