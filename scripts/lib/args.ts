/** A bad command line: the message names the flag, and the command prints its usage after it. */
export class UsageError extends Error {}

/**
 * Runs a command's `parseArgs` over argv: its values, or `"help"` for -h/--help. An unknown flag, a
 * missing value or a stray argument is a UsageError.
 */
export function readArgs<V extends { help?: boolean | undefined }>(
  parse: (argv: string[]) => { values: V; positionals: string[] },
  argv: string[],
): V | "help" {
  let parsed: { values: V; positionals: string[] };
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) return "help";
  if (parsed.positionals.length > 0)
    throw new UsageError(`unexpected argument: ${parsed.positionals.join(" ")}`);
  return parsed.values;
}
