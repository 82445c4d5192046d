import { ApiError } from "./api.ts";
import { UsageError } from "./args.ts";

export interface ApiCommand<O> {
  /** The npm script's name, prefixed to every error line. */
  name: string;
  usage: string;
  /** Parses argv (throws UsageError naming the bad flag), or asks for the usage text. */
  parse: (argv: string[]) => O | "help";
  call: (options: O) => Promise<unknown>;
  print: (result: unknown) => void;
}

/**
 * Runs a command that calls the API, as `npm run replay` and `npm run resend` do: exit 2 with the
 * usage on a bad flag, 0 with the answer printed, 1 with one line on stderr when the call failed.
 */
export async function runApiCommand<O>(command: ApiCommand<O>, argv: string[]): Promise<number> {
  let options: O | "help";
  try {
    options = command.parse(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${command.name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    throw error;
  }
  if (options === "help") {
    console.log(command.usage);
    return 0;
  }
  try {
    command.print(await command.call(options));
    return 0;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      console.error(`${command.name}: the API refused the key (pass --key or set LEADRAIL_ADMIN_KEY)`);
    } else {
      console.error(`${command.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return 1;
  }
}

/** The process's exit: the command's code, or 1 with the message of anything it did not handle. */
export function exitWith(name: string, run: Promise<number>): void {
  run.then(
    (code) => process.exit(code),
    (error) => {
      console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
