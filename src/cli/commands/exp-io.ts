import { join } from "node:path";
import { CACHE_DIR } from "../../cache/store.ts";
import { UsageError } from "../../core/errors.ts";
import { readRunLogs, type RunLog } from "../../engine/run-log.ts";

/** What exp, params and metrics share: the recorded runs, read once, and the chosen output format. */
export function readProjectRuns(projectDir: string, limit?: number): RunLog[] {
  return readRunLogs(join(projectDir, CACHE_DIR), limit);
}

/** The one format flag set among `allowed` ("text" when none is); two of them is a usage error. */
export function pickFormat<F extends string>(command: string, values: Partial<Record<F, boolean | undefined>>, allowed: readonly F[]): F | "text" {
  const set = allowed.filter((f) => values[f] === true);
  if (set.length > 1) throw new UsageError(`${command}: choose one of ${set.map((f) => `--${f}`).join(", ")}`);
  return set[0] ?? "text";
}
