/** `npm run replay -- [--id N]... [--queue Q] [--since ISO] [--until ISO] [--limit N] [--url URL] [--key KEY]` */
import { ApiError } from "./lib/api.ts";
import { parseReplayArgs, replayFailedEvents, replayUsage, UsageError } from "./lib/replay.ts";

async function main(): Promise<number> {
  let options: ReturnType<typeof parseReplayArgs>;
  try {
    options = parseReplayArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`replay: ${error.message}\n\n${replayUsage}`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    console.log(replayUsage);
    return 0;
  }
  try {
    const result = await replayFailedEvents(options);
    printResult(result);
    return 0;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      console.error("replay: the API refused the key (pass --key or set LEADRAIL_ADMIN_KEY)");
    } else {
      console.error(`replay: ${error instanceof Error ? error.message : String(error)}`);
    }
    return 1;
  }
}

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

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`replay: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
