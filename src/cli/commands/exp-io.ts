import { join } from "node:path";
import { UsageError } from "../../core/errors.ts";
import { readRunLogs, type RunLog } from "../../engine/run-log.ts";
import { requireProject } from "../find-project.ts";

/**
 * cache/local-driver.ts's CACHE_DIR, spelled here so exp show loads nothing of the cache layer
 * (the entry format loads zod, which was most of its time); a unit test keeps the two equal.
 */
export const RUNS_CACHE_DIR = "cache";

/**
 * What exp, params and metrics share: the recorded runs, read once, and the chosen output format.
 * Outside a project that is an error, as for every project command, never an empty list.
 */
export function readProjectRuns(projectDir: string, limit?: number): RunLog[] {
  requireProject(projectDir);
  return readRunLogs(join(projectDir, RUNS_CACHE_DIR), limit);
}

/** The one format flag set among `allowed` ("text" when none is); two of them is a usage error. */
export function pickFormat<F extends string>(
  command: string,
  values: Partial<Record<F, boolean | undefined>>,
  allowed: readonly F[],
): F | "text" {
  const set = allowed.filter((f) => values[f] === true);
  if (set.length > 1) throw new UsageError(`${command}: choose one of ${set.map((f) => `--${f}`).join(", ")}`);
  return set[0] ?? "text";
}

/** The flags every diff command takes (exp diff, params diff, metrics diff). */
export const DIFF_OPTIONS = {
  json: { type: "boolean" },
  md: { type: "boolean" },
  all: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;
