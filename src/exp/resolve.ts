import { UsageError } from "../core/errors.ts";
import { didYouMeanTail } from "../core/suggest.ts";
import type { RunLog } from "../engine/run-log.ts";
import { formatWhen } from "./format.ts";
import { newestFirst } from "./table.ts";

/** How many candidates an error message lists. */
const LISTED = 10;

/**
 * The run `ref` names: its id, a name, or a prefix of one id. Nothing or several matching is a
 * usage error listing the candidates (a sweep's variants share a name: use an id).
 */
export function findRun(logs: readonly RunLog[], ref: string): RunLog {
  const exact = logs.find((log) => log.id === ref);
  if (exact) return exact;
  const matches = newestFirst(logs.filter((log) => log.name === ref || log.id.startsWith(ref)));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new UsageError(
      `no recorded run is "${ref}" (not an id, id prefix or name)${didYouMeanTail(
        ref,
        logs.flatMap((log) => (log.name ? [log.name] : [])),
      )}`,
      logs.length === 0 ? "no runs are recorded yet: `pipeline run` records one" : `recent runs:\n${describeRuns(newestFirst(logs))}`,
    );
  }
  throw new UsageError(`"${ref}" matches ${matches.length} runs`, `name one by its id:\n${describeRuns(matches)}`);
}

/**
 * The workspace run (DVC's workspace): the newest run made with pipeline.yaml's own
 * configuration; without one, the newest run.
 */
export function workspaceRun(logs: readonly RunLog[]): RunLog | undefined {
  const sorted = newestFirst(logs);
  return sorted.find((log) => log.config === "yaml") ?? sorted[0];
}

/**
 * The two runs a diff compares, old (a) and new (b). `b` omitted: the workspace run. `a`
 * omitted too: the newest run other than b (the experiment you just made with --set, or the
 * previous run of the yaml), as DVC compares HEAD with the workspace.
 */
export function resolvePair(logs: readonly RunLog[], aRef?: string, bRef?: string): { a: RunLog; b: RunLog } {
  const b = bRef === undefined ? workspaceRun(logs) : findRun(logs, bRef);
  if (!b) throw new UsageError("no runs are recorded yet", "`pipeline run` records one; diffs compare two");
  if (aRef !== undefined) return { a: findRun(logs, aRef), b };
  const a = newestFirst(logs).find((log) => log !== b);
  if (!a)
    throw new UsageError(
      `only one run is recorded (${b.id}): nothing to compare it with`,
      "run again, e.g. `pipeline run --set STAGE.PARAM=VALUE`",
    );
  return { a, b };
}

/** "id  name  when  config" lines, at most LISTED of them. */
export function describeRuns(logs: readonly RunLog[]): string {
  const lines = logs
    .slice(0, LISTED)
    .map((log) => `  ${[log.id, log.name ?? "-", formatWhen(log.started), log.config ?? "-", ..._variant(log)].join("  ")}`);
  if (logs.length > LISTED) lines.push(`  ... and ${logs.length - LISTED} more (pipeline exp show lists them all)`);
  return lines.join("\n");
}

function _variant(log: RunLog): string[] {
  return log.variant
    ? [
        Object.entries(log.variant)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(" "),
      ]
    : [];
}

/** "id (name)" for headings. */
export function runLabel(log: RunLog): string {
  return log.name ? `${log.id} (${log.name})` : log.id;
}
