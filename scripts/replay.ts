/** `npm run replay -- [--id N]... [--queue Q] [--since ISO] [--until ISO] [--limit N] [--url URL] [--key KEY]` */
import { exitWith, runApiCommand } from "./lib/command.ts";
import { parseReplayArgs, replayFailedEvents, replayUsage } from "./lib/replay.ts";

/** `POST /api/v1/failed-events/replay` answers `{ replayed, ids }`. */
function printResult(result: unknown): void {
  const { replayed, ids } = (result ?? {}) as { replayed?: unknown; ids?: unknown };
  if (typeof replayed !== "number" || !Array.isArray(ids)) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  if (replayed === 0) {
    console.log(
      "nothing to replay: no failed event matched (without --id, events already replayed are skipped)",
    );
    return;
  }
  console.log(`replayed ${replayed} failed event${replayed === 1 ? "" : "s"}: ${ids.join(", ")}`);
}

exitWith(
  "replay",
  runApiCommand(
    {
      name: "replay",
      usage: replayUsage,
      parse: parseReplayArgs,
      call: replayFailedEvents,
      print: printResult,
    },
    process.argv.slice(2),
  ),
);
