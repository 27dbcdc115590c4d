import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ListingDriver } from "../../cache/driver.ts";
import { parseEntry } from "../../cache/entries.ts";
import { removeLockLeftovers } from "../../cache/lock.ts";
import { EXIT } from "../../core/errors.ts";
import { readRunLogs } from "../../engine/run-log.ts";
import { parseCommandArgs, positiveInt } from "../args.ts";
import type { CliIO } from "../io.ts";
import { openProject } from "../project.ts";
import { lockProject } from "../project-lock.ts";
import { planProject } from "./plan.ts";

export const GC_HELP = `usage: pipeline gc [--dry-run] [--keep-runs N]

Removes cache entries and objects that neither the current pipeline.yaml, the last N runs
(default 5) nor any named run (\`run --name\`) reach, damaged entries, the other run logs, and
temp files left by killed runs (older than an hour).`;

const TMP_GRACE_MS = 60 * 60 * 1000;
const LOCK_TEMP_GRACE_MS = 60 * 1000;

export async function gcCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("gc", argv, {
    "dry-run": { type: "boolean" },
    "keep-runs": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(GC_HELP);
    return EXIT.ok;
  }
  const keepRuns = positiveInt("--keep-runs", values["keep-runs"], 5);
  const dry = values["dry-run"] ?? false;
  const project = await openProject(io.projectDir, [], (m) => io.stderr(`warning: ${m}`));
  const { store } = project;
  if (!existsSync(store.root)) {
    io.stdout("no cache yet: nothing to collect");
    return EXIT.ok;
  }
  const release = await lockProject(store.root, io, { wait: true, command: "pipeline gc", log: io.stdout });
  try {
    const liveKeys = new Set((await planProject(project)).flatMap((r) => (r.key ? [r.key] : [])));
    const runs = readRunLogs(store.root);
    // the last N runs and every named run (an experiment someone labelled) stay reachable
    const kept = runs.filter((run, i) => i < keepRuns || run.name !== undefined);
    for (const run of kept) for (const s of run.stages) if (s.key) liveKeys.add(s.key);

    const collected = await collectUnreachable(store, liveKeys, dry);
    const runsRemoved = removeOldRuns(
      store.root,
      runs.filter((run) => !kept.includes(run)).map((r) => r.id),
      dry,
    );
    const tmpRemoved = (await store.removeStaleTemps(TMP_GRACE_MS, dry)) + removeLockLeftovers(store.root, LOCK_TEMP_GRACE_MS, dry);
    const verb = dry ? "would remove" : "removed";
    const mib = (collected.bytesFreed / 1048576).toFixed(1);
    const { entries, objects } = collected;
    io.stdout(`${verb} ${entries} entries, ${objects} objects (${mib} MiB), ${runsRemoved} run logs, ${tmpRemoved} temp files`);
    return EXIT.ok;
  } finally {
    release();
  }
}

/**
 * Removes (or, dry, counts) the entries whose keys are not live, the damaged ones among them,
 * and every object no kept entry names: a mark and sweep over the store's own listing.
 */
async function collectUnreachable(
  store: ListingDriver,
  liveKeys: ReadonlySet<string>,
  dry: boolean,
): Promise<{ entries: number; objects: number; bytesFreed: number }> {
  const liveObjects = new Set<string>();
  let entries = 0;
  for (const { stage, key } of await store.listing.entries()) {
    const bytes = liveKeys.has(key) ? await store.readEntry(stage, key) : undefined;
    const read = bytes ? parseEntry(bytes, stage, key) : undefined;
    if (read && "entry" in read) {
      for (const ref of Object.values(read.entry.outputs)) liveObjects.add(ref.hash);
      continue;
    }
    entries++;
    if (!dry) await store.deleting.deleteEntry(stage, key);
  }
  let objects = 0;
  let bytesFreed = 0;
  for (const object of await store.listing.objects()) {
    if (liveObjects.has(object.hash)) continue;
    objects++;
    bytesFreed += object.size;
    if (!dry) await store.deleting.deleteObject(object.hash);
  }
  return { entries, objects, bytesFreed };
}

function removeOldRuns(root: string, ids: readonly string[], dry: boolean): number {
  if (!dry) for (const id of ids) rmSync(join(root, "runs", `${id}.json`), { force: true });
  return ids.length;
}
