import { readFileSync, rmSync } from "node:fs";
import { sha256 } from "../../core/hash.ts";
import { EXIT, UsageError } from "../../core/errors.ts";
import { CacheStore } from "../../cache/store.ts";
import { CACHE_DIR } from "../../cache/store.ts";
import { join } from "node:path";
import { parseCommandArgs } from "../args.ts";
import type { CliIO } from "../io.ts";

export const CACHE_HELP = `usage: pipeline cache verify

Re-hashes every cache object and checks every entry. Damaged objects and entries are reported
and deleted, so the next run recomputes them; exit 1 when anything was damaged.`;

export async function cacheCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs("cache", argv, { help: { type: "boolean", short: "h" } }, true);
  if (values.help) {
    io.stdout(CACHE_HELP);
    return EXIT.ok;
  }
  if (positionals[0] !== "verify" || positionals.length !== 1) throw new UsageError("cache takes one subcommand: verify", "run `pipeline cache verify`");
  const store = new CacheStore(join(io.projectDir, CACHE_DIR));
  let damaged = 0;
  const objects = store.listObjects();
  const intact = new Set<string>();
  for (const object of objects) {
    if (sha256(readFileSync(object.path)) === object.hash) {
      intact.add(object.hash);
      continue;
    }
    damaged++;
    io.stdout(`damaged object ${object.hash.slice(0, 12)} (its bytes no longer match their hash): deleted`);
    rmSync(object.path, { force: true });
  }
  const entries = store.listEntries();
  for (const { path, entry } of entries) {
    const missing = entry ? Object.entries(entry.outputs).filter(([, ref]) => !intact.has(ref.hash)).map(([slot]) => slot) : [];
    if (entry && missing.length === 0) continue;
    damaged++;
    io.stdout(entry ? `entry ${entry.stage} ${entry.key.slice(0, 12)} lost its output(s) ${missing.join(", ")}: deleted` : `unreadable entry ${path}: deleted`);
    rmSync(path, { force: true });
  }
  io.stdout(`checked ${objects.length} objects and ${entries.length} entries: ${damaged === 0 ? "all intact" : `${damaged} damaged (the next run recomputes them)`}`);
  return damaged === 0 ? EXIT.ok : EXIT.stageFailed;
}
