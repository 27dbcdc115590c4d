import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { LOCK_TEMP } from "../../cache/lock.ts";
import { EXIT } from "../../core/errors.ts";
import { readRunLogs } from "../../engine/run-log.ts";
import { parseCommandArgs, positiveInt } from "../args.ts";
import type { CliIO } from "../io.ts";
import { openProject } from "../project.ts";
import { lockProject } from "../project-lock.ts";
import { planProject } from "./plan.ts";

export const GC_HELP = `usage: pipeline gc [--dry-run] [--keep-runs N]

Removes cache entries and objects that neither the current pipeline.yaml, the last N runs
(default 5) nor any named run (\`run --name\`) reach, the other run logs, and temp files left
by killed runs (older than an hour).`;

const TMP_GRACE_MS = 60 * 60 * 1000;
const LOCK_TEMP_GRACE_MS = 60 * 1000;

export async function gcCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs("gc", argv, { "dry-run": { type: "boolean" }, "keep-runs": { type: "string" }, help: { type: "boolean", short: "h" } });
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

    const liveObjects = new Set<string>();
    let entriesRemoved = 0;
    for (const { path, entry } of store.listEntries()) {
      if (entry && liveKeys.has(entry.key)) {
        for (const ref of Object.values(entry.outputs)) liveObjects.add(ref.hash);
        continue;
      }
      entriesRemoved++;
      if (!dry) rmSync(path, { force: true });
    }
    let objectsRemoved = 0;
    let bytesFreed = 0;
    for (const object of store.listObjects()) {
      if (liveObjects.has(object.hash)) continue;
      objectsRemoved++;
      bytesFreed += object.size;
      if (!dry) rmSync(object.path, { force: true });
    }
    const runsRemoved = removeOldRuns(store.root, runs.filter((run) => !kept.includes(run)).map((r) => r.id), dry);
    const tmpRemoved = removeStaleTemps(store.tmpDir, dry) + removeLockTemps(store.root, dry);
    const verb = dry ? "would remove" : "removed";
    io.stdout(`${verb} ${entriesRemoved} entries, ${objectsRemoved} objects (${(bytesFreed / 1048576).toFixed(1)} MiB), ${runsRemoved} run logs, ${tmpRemoved} temp files`);
    return EXIT.ok;
  } finally {
    release();
  }
}

function removeOldRuns(root: string, ids: readonly string[], dry: boolean): number {
  if (!dry) for (const id of ids) rmSync(join(root, "runs", `${id}.json`), { force: true });
  return ids.length;
}

/**
 * A lock temp file lives for microseconds while a lock is taken; one older than a minute was
 * left by a killed process (or a full disk in an older version) and is never a lock itself.
 */
function removeLockTemps(root: string, dry: boolean): number {
  let count = 0;
  for (const name of readdirSync(root)) {
    if (!LOCK_TEMP.test(name)) continue;
    const path = join(root, name);
    if (Date.now() - statSync(path).mtimeMs < LOCK_TEMP_GRACE_MS) continue;
    count++;
    if (!dry) rmSync(path, { force: true });
  }
  return count;
}

/** Temp files younger than the grace period may belong to a run in progress: never touch those. */
function removeStaleTemps(tmpDir: string, dry: boolean): number {
  if (!existsSync(tmpDir)) return 0;
  let count = 0;
  for (const name of readdirSync(tmpDir)) {
    const path = join(tmpDir, name);
    if (Date.now() - statSync(path).mtimeMs < TMP_GRACE_MS) continue;
    count++;
    if (!dry) rmSync(path, { force: true, recursive: true }); // a killed command stage's scratch folder too
  }
  return count;
}
