import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../cache/atomic.ts";
import type { StageResult } from "../core/events.ts";

/**
 * What one `pipeline run` did, in cache/runs/<id>.json. Experiment commands (exp show, exp
 * diff, params diff, metrics diff) read only these, never the objects (gc may remove those).
 */
export interface RunLog {
  id: string;
  started: string;
  ms: number;
  ok: boolean;
  command: string;
  seed: number;
  /** stage -> its params after defaults, as this run resolved them */
  params: Record<string, unknown>;
  /** `--name`; a sweep's variants share it, each with its own `variant` */
  name?: string;
  /** the swept parameters of a sweep variant: "cluster.k" -> 5 */
  variant?: Record<string, unknown>;
  /** "yaml": the run's params and seed are pipeline.yaml's own; "override": a --set changed them */
  config?: "yaml" | "override";
  /** bytes of input files read to hash them (0 when the stat cache knew them all) */
  inputBytesHashed: number;
  stages: StageResult[];
}

export function runsDir(cacheRoot: string): string {
  return join(cacheRoot, "runs");
}

/** Ids sort by time: an ISO timestamp with the pid to separate concurrent runs. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, "-")}-${process.pid}`;
}

export function writeRunLog(cacheRoot: string, log: RunLog): void {
  writeFileAtomic(join(runsDir(cacheRoot), `${log.id}.json`), Buffer.from(JSON.stringify(log, null, 2)));
}

/** Run logs, newest first; unreadable ones are skipped. */
export function readRunLogs(cacheRoot: string, limit = Infinity): RunLog[] {
  const dir = runsDir(cacheRoot);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .reverse();
  const logs: RunLog[] = [];
  for (const file of files) {
    if (logs.length >= limit) break;
    try {
      logs.push(JSON.parse(readFileSync(join(dir, file), "utf8")) as RunLog);
    } catch {
      // a run killed mid-write leaves no log at all (atomic), so this is foreign junk: ignore
    }
  }
  return logs;
}

/** The key record of the most recent run of `stage` that had one. */
export function lastPartsOf(logs: readonly RunLog[], stage: string): Record<string, unknown> | undefined {
  for (const log of logs) {
    const found = log.stages.find((s) => s.name === stage && s.parts && (s.status === "ran" || s.status === "cached"));
    if (found?.parts) return found.parts;
  }
  return undefined;
}
