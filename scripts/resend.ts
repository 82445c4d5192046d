/** `npm run resend -- [--id N]... [--partner HASH] [--since ISO] [--until ISO] [--status S]... [--limit N] [--url URL] [--key KEY]` */
import { exitWith, runApiCommand } from "./lib/command.ts";
import { parseResendArgs, resendRelayJobs, resendUsage } from "./lib/resend.ts";

/** `POST /api/v1/relays/resend` answers `{ requeued, ids }`. */
function printResult(result: unknown): void {
  const { requeued, ids } = (result ?? {}) as { requeued?: unknown; ids?: unknown };
  if (typeof requeued !== "number" || !Array.isArray(ids)) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  if (requeued === 0) {
    console.log("nothing to resend: no job matched in a resendable status (succeeded jobs are never resent)");
    return;
  }
  console.log(`resent ${requeued} relay job${requeued === 1 ? "" : "s"}: ${ids.join(", ")}`);
}

exitWith(
  "resend",
  runApiCommand(
    {
      name: "resend",
      usage: resendUsage,
      parse: parseResendArgs,
      call: resendRelayJobs,
      print: printResult,
    },
    process.argv.slice(2),
  ),
);
