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

function printResult(result: unknown): void {
  const events = replayedEvents(result);
  if (events === null) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  if (events.length === 0) {
    console.log("nothing to replay: no failed event matched");
    return;
  }
  console.log(`replayed ${events.length} failed event${events.length === 1 ? "" : "s"}:`);
  for (const event of events) {
    const fields = ["id", "queue", "messageId", "failedAt", "replayCount"]
      .filter((name) => event[name] !== undefined && event[name] !== null)
      .map((name) => `${name}=${String(event[name])}`);
    console.log(`  ${fields.length > 0 ? fields.join("  ") : JSON.stringify(event)}`);
  }
}

/** The list of replayed events in the API's answer, whichever key holds it. */
function replayedEvents(result: unknown): Record<string, unknown>[] | null {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  if (result && typeof result === "object") {
    for (const key of ["replayed", "data", "items", "events"]) {
      const value = (result as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value as Record<string, unknown>[];
    }
  }
  return null;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`replay: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
