import { EXIT, UsageError } from "../../core/errors.ts";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";

export const CACHE_HELP = `usage: pipeline cache <verify|push|pull|status|keygen> [options]

  verify        re-hash every cache object and check every entry: its seal, that its key parts
                hash to its key, and that each object it names decodes as the output its stage
                declares; damaged objects and entries are deleted (exit 1 when any were).
                Takes the project lock, so it never races a run.
  push          upload the current pipeline's locally cached entries and their objects to the
                remote cache, signed (needs readwrite mode and PIPELINE_CACHE_SIGNING_KEY)
  pull          download what the current pipeline's stages hold on the remote; runs nothing
  status [--json]
                is the remote reachable, and is each stage's entry local, remote or missing
  keygen [--out FILE]
                write an Ed25519 signing key pair for CI (see \`pipeline cache keygen --help\`)

The remote is set by cache.remote in pipeline.yaml or PIPELINE_REMOTE_CACHE (URL),
PIPELINE_REMOTE_CACHE_MODE (off|read|readwrite) and PIPELINE_REMOTE_CACHE_TOKEN.`;

export async function cacheCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "keygen") return (await import("./cache-keygen.ts")).keygenCommand(rest, io);
  const { values, positionals } = parseCommandArgs(
    "cache",
    argv,
    { json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    true,
  );
  if (values.help) {
    io.stdout(CACHE_HELP);
    return EXIT.ok;
  }
  const { cacheSubcommand, pullCache, pushCache, remoteStatus } = await import("./cache-remote.ts");
  cacheSubcommand(positionals[0]);
  if (positionals.length !== 1)
    throw new UsageError(`cache ${positionals[0]} takes no further arguments`, "e.g. `pipeline cache status --json`");
  switch (positionals[0]) {
    case "push":
      return pushCache(io);
    case "pull":
      return pullCache(io);
    case "status":
      return remoteStatus(io, values.json ?? false);
    default:
      return (await import("./cache-verify.ts")).verifyCache(io);
  }
}
