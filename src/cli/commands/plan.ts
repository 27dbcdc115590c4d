import type { StageResult } from "../../core/events.ts";
import { compareOutput, materializedBytes, type OutputState } from "../../engine/outputs.ts";
import { runPipeline } from "../../engine/run.ts";
import type { RemoteTier } from "../../remote/tier.ts";
import { baseRunRequest, type Project } from "../project.ts";

export type PlanState = "up to date" | "outputs changed" | "stale" | "waiting" | "effect" | "missing input";

/** A declared output file beside what the cache says it holds (DVC's "changed outs"). */
export interface OutputRow {
  path: string;
  state: OutputState["state"];
}

export interface PlanRow {
  stage: string;
  state: PlanState;
  key: string | null;
  reasons: string[];
  /** the stage's declared output files, when it is cached */
  outputs: OutputRow[];
  result: StageResult;
}

/** The plan without the walk: what `run` would do right now, and why. Runs nothing. */
export async function planProject(project: Project, remote?: RemoteTier): Promise<PlanRow[]> {
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
    // a damaged entry found while planning is deleted, so it is said here too (status, gc, explain)
    emit: (e) => (e.type === "warning" ? project.warn(e.message) : undefined),
    execute: () => Promise.reject(new Error("planning never executes a stage")),
    ...(remote ? { remote } : {}),
  });
  project.hasher.save();
  return Promise.all(outcome.results.map((result) => toRow(project, result)));
}

async function toRow(project: Project, result: StageResult): Promise<PlanRow> {
  const base = { stage: result.name, key: result.key, result, outputs: [] };
  if (project.pipeline.stages.get(result.name)!.def.effect === true) {
    return { ...base, state: "effect", reasons: ["never cached; runs with --publish or when named"] };
  }
  if (result.status === "cached") return cachedRow(project, result, base);
  if (result.status === "failed")
    return { ...base, state: "missing input", reasons: [result.reason, ...(result.hint ? [`hint: ${result.hint}`] : [])] };
  if (result.status === "would-run") return { ...base, state: "stale", reasons: (result.reasons ?? []).map((r) => r.detail) };
  return { ...base, state: "waiting", reasons: [result.reason] };
}

/** A cached stage is up to date only when its declared files hold what its entry says. */
async function cachedRow(project: Project, result: StageResult, base: Omit<PlanRow, "state" | "reasons">): Promise<PlanRow> {
  const stage = project.pipeline.stages.get(result.name)!;
  const outputs: OutputRow[] = [];
  const reasons: string[] = [];
  for (const binding of stage.outputs) {
    const ref = result.outputs?.[binding.slot];
    const expected = ref ? await materializedBytes(project.store, ref) : undefined;
    if (!expected) continue; // the entry's object vanished: the run reruns the stage and says so
    const { state } = compareOutput(binding, expected, project.hasher);
    outputs.push({ path: binding.display, state });
    if (state === "missing") reasons.push(`output ${binding.display} is missing; \`pipeline run\` restores it from the cache`);
    if (state === "differs")
      reasons.push(
        `output ${binding.display} differs from the cache (written by another configuration, or edited); \`pipeline run\` restores it`,
      );
  }
  return { ...base, outputs, state: reasons.length > 0 ? "outputs changed" : "up to date", reasons };
}
