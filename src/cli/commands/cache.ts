import { EXIT, UsageError } from "../../core/errors.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";

export const CACHE_HELP = `usage: pipeline cache verify

Re-hashes every cache object and checks every entry: its seal, that its key parts hash to its
key, and that each object it names decodes as the output its stage declares. Damaged objects
and entries are reported and deleted, so the next run recomputes them; exit 1 when anything was
damaged. Takes the project lock, so it never races a run.`;

export async function cacheCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs("cache", argv, { help: { type: "boolean", short: "h" } }, true);
  if (values.help) {
    io.stdout(CACHE_HELP);
    return EXIT.ok;
  }
  if (positionals[0] !== "verify" || positionals.length !== 1) throw new UsageError("cache takes one subcommand: verify", "run `pipeline cache verify`");
  const { verifyCache } = await import("./cache-verify.ts");
  return verifyCache(io);
}
