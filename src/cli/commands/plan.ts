import type { StageResult } from "../../core/events.ts";
import { runPipeline } from "../../engine/run.ts";
import { baseRunRequest, type Project } from "../project.ts";

export type PlanState = "up to date" | "stale" | "waiting" | "effect" | "missing input";

export interface PlanRow {
  stage: string;
  state: PlanState;
  key: string | null;
  reasons: string[];
  result: StageResult;
}

/** The plan without the walk: what `run` would do right now, and why. Runs nothing. */
export async function planProject(project: Project): Promise<PlanRow[]> {
  const scope = new Set(project.pipeline.order.filter((n) => project.pipeline.stages.get(n)!.def.effect !== true));
  const outcome = await runPipeline({
    ...baseRunRequest(project),
    scope,
    forced: new Set(),
    jobs: 1,
    threads: 1,
    dryRun: true,
    writeOutputs: false,
    keepGoing: true,
    signal: new AbortController().signal,
    emit: () => {},
    execute: () => Promise.reject(new Error("planning never executes a stage")),
  });
  project.hasher.save();
  return outcome.results.map((result) => toRow(project, result));
}

function toRow(project: Project, result: StageResult): PlanRow {
  const base = { stage: result.name, key: result.key, result };
  if (project.pipeline.stages.get(result.name)!.def.effect === true) {
    return { ...base, state: "effect", reasons: ["never cached; runs with --publish or when named"] };
  }
  if (result.status === "cached") return { ...base, state: "up to date", reasons: [] };
  if (result.status === "failed") return { ...base, state: "missing input", reasons: [result.reason, ...(result.hint ? [`hint: ${result.hint}`] : [])] };
  if (result.status === "would-run") return { ...base, state: "stale", reasons: (result.reasons ?? []).map((r) => r.detail) };
  return { ...base, state: "waiting", reasons: [result.reason] };
}
