import { parseOverride } from "../../config/overrides.ts";
import { sweepVariants } from "../../config/sweep.ts";
import type { ObjectRef } from "../../cache/entries.ts";
import { UsageError } from "../../core/errors.ts";
import type { StageResult } from "../../core/events.ts";
import type { RunOutcome } from "../../engine/run.ts";
import { readRunLogs, type RunLog } from "../../engine/run-log.ts";
import { findRun } from "../../exp/resolve.ts";
import type { AnyStage } from "../../core/stage.ts";
import { wiringOfPipeline, wiringOfRun, type WiredStage } from "../../report/parts.ts";
import { openProject, type Project } from "../project.ts";
import { planProject } from "./plan.ts";

/**
 * What a report draws: the outputs it reads ("stage.slot" -> object), and the parameters, seed
 * and stage results that go with exactly those outputs, so the page never pairs one
 * configuration's results with another's parameters.
 */
export interface ReportSource {
  known: ReadonlyMap<string, ObjectRef>;
  params: Record<string, Record<string, unknown>>;
  seed: number;
  /** the stage results shown in the run table (a recorded run's, or the plan's) */
  stages: readonly StageResult[];
  /** the recorded run that made these outputs, if any */
  runId: string | undefined;
  /** in words, for the page and for messages: "pipeline.yaml", "pipeline.yaml with --set k=5", "run ID" */
  drawn: string;
  /** completes "the report needs cluster, which ...": "are not cached for pipeline.yaml" */
  lacking: string;
  /** the command that would produce what is missing */
  fix: string;
  /** the stages the outputs come from and how they are wired: where the report finds its parts */
  wiring: readonly WiredStage[];
  /** "yaml": the wiring is pipeline.yaml's (a part it lacks is a config error); "run": a recorded run's */
  wiredBy: "yaml" | "run";
}

/** The `--set` texts of one configuration; a sweep (a top-level comma) is refused, as a page draws one. */
export function singleConfiguration(sets: readonly string[]): string[] {
  const variants = sweepVariants(sets);
  if (variants.length > 1) {
    const swept = Object.keys(variants[0]!.choices).join(", ");
    throw new UsageError(
      `report draws one configuration, and --set ${swept} sweeps ${variants.length}`,
      "give one value per --set, or pick a recorded run of the sweep with --run ID (`pipeline exp show` lists them)",
    );
  }
  return [...(variants[0]?.sets ?? [])];
}

/** pipeline.yaml, with `sets` applied: the cached results the plan finds for that configuration. */
export async function sourceFromPlan(
  dir: string,
  sets: readonly string[],
  warn: (m: string) => void,
): Promise<{ project: Project; source: ReportSource }> {
  const project = await openProject(dir, sets.map(parseOverride), warn);
  const logs = readRunLogs(project.store.root);
  const rows = await planProject(project);
  const results = rows.map((row) => row.result).filter((result) => result.status === "cached"); // "outputs changed" is cached too
  const made = _runWithKeys(logs, results);
  return {
    project,
    source: sourceFromResults(project, results, {
      runId: made?.id,
      drawn: _describeSets(sets),
      fix: _runCommand(sets),
      stages: made?.stages,
    }),
  };
}

/** The results a `run` just produced (run --report), with the parameters it ran with. */
export function sourceFromOutcome(
  project: Project,
  outcome: Pick<RunOutcome, "known" | "results">,
  runId: string | undefined,
  sets: readonly string[],
): ReportSource {
  return {
    ...sourceFromResults(project, outcome.results, { runId, drawn: _describeSets(sets), fix: _runCommand(sets) }),
    known: outcome.known,
  };
}

/** A recorded run: its stages' output objects, and the params and seed in its log (not the yaml's). */
export function sourceFromRun(logs: readonly RunLog[], ref: string, defs: readonly AnyStage[]): ReportSource {
  const log = findRun(logs, ref);
  const known = new Map<string, ObjectRef>();
  for (const stage of log.stages) {
    if (stage.status !== "ran" && stage.status !== "cached") continue;
    for (const [slot, ref] of Object.entries(stage.outputs ?? {})) {
      if (ref.kind !== "file") known.set(`${stage.name}.${slot}`, { hash: ref.hash, size: ref.size, kind: ref.kind });
    }
  }
  const params = Object.fromEntries(
    Object.entries(log.params).map(([stage, values]) => [stage, (values ?? {}) as Record<string, unknown>]),
  );
  const label = log.name ? `run ${log.id} (${log.name})` : `run ${log.id}`;
  return {
    known,
    params,
    seed: log.seed,
    stages: log.stages,
    runId: log.id,
    drawn: label,
    lacking: `${label} did not run or restore`,
    fix: "pick a run whose stages all ran or were restored (`pipeline exp show` lists them), or run its configuration again with --set",
    wiring: wiringOfRun(log.stages, (uses) => defs.find((def) => def.name === uses)),
    wiredBy: "run",
  };
}

function sourceFromResults(
  project: Project,
  results: readonly StageResult[],
  extra: { runId: string | undefined; drawn: string; fix: string; stages?: readonly StageResult[] | undefined },
): ReportSource {
  const known = new Map<string, ObjectRef>();
  for (const result of results) {
    if (result.status !== "cached" && result.status !== "ran") continue;
    for (const [slot, ref] of Object.entries(result.outputs ?? {})) {
      if (ref.kind !== "file") known.set(`${result.name}.${slot}`, { hash: ref.hash, size: ref.size, kind: ref.kind });
    }
  }
  const params = Object.fromEntries([...project.pipeline.stages].map(([name, s]) => [name, s.params as Record<string, unknown>]));
  return {
    known,
    params,
    seed: project.pipeline.seed,
    stages: extra.stages ?? results,
    runId: extra.runId,
    drawn: extra.drawn,
    lacking: `are not cached for ${extra.drawn}`,
    fix: extra.fix,
    wiring: wiringOfPipeline(project.pipeline),
    wiredBy: "yaml",
  };
}

/**
 * The newest run whose every stage in `results` ran or was restored with the same key: the run
 * that made exactly these outputs. A run that skipped one of them does not count.
 */
function _runWithKeys(logs: readonly RunLog[], results: readonly StageResult[]): RunLog | undefined {
  if (results.length === 0) return undefined;
  return logs.find((log) =>
    results.every((result) =>
      log.stages.some((s) => s.name === result.name && s.key === result.key && (s.status === "ran" || s.status === "cached")),
    ),
  );
}

function _describeSets(sets: readonly string[]): string {
  return sets.length === 0 ? "pipeline.yaml" : `pipeline.yaml with ${sets.map((s) => `--set ${s}`).join(" ")}`;
}

function _runCommand(sets: readonly string[]): string {
  return `run \`pipeline run${sets.map((s) => ` --set ${s}`).join("")}\` first (or add --report to it)`;
}
