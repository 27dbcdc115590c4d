import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { acquireLock } from "../../cache/lock.ts";
import { EXIT } from "../../core/errors.ts";
import { readRunLogs } from "../../engine/run-log.ts";
import { parseCommandArgs, positiveInt } from "../args.ts";
import type { CliIO } from "../io.ts";
import { openProject } from "../project.ts";
import { planProject } from "./plan.ts";

export const GC_HELP = `usage: pipeline gc [--dry-run] [--keep-runs N]

Removes cache entries and objects that neither the current pipeline.yaml nor the last N runs
(default 5) reach, old run logs, and temp files left by killed runs (older than an hour).`;

const TMP_GRACE_MS = 60 * 60 * 1000;

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
  const release = await acquireLock(join(store.root, "lock"), { wait: true, command: "pipeline gc", signal: io.signal });
  try {
    const liveKeys = new Set((await planProject(project)).flatMap((r) => (r.key ? [r.key] : [])));
    const runs = readRunLogs(store.root);
    for (const run of runs.slice(0, keepRuns)) for (const s of run.stages) if (s.key) liveKeys.add(s.key);

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
    const runsRemoved = removeOldRuns(store.root, runs.slice(keepRuns).map((r) => r.id), dry);
    const tmpRemoved = removeStaleTemps(store.tmpDir, dry);
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

/** Temp files younger than the grace period may belong to a run in progress: never touch those. */
function removeStaleTemps(tmpDir: string, dry: boolean): number {
  if (!existsSync(tmpDir)) return 0;
  let count = 0;
  for (const name of readdirSync(tmpDir)) {
    const path = join(tmpDir, name);
    if (Date.now() - statSync(path).mtimeMs < TMP_GRACE_MS) continue;
    count++;
    if (!dry) rmSync(path, { force: true });
  }
  return count;
}
