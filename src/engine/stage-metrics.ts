import type { CacheDriver } from "../cache/driver.ts";
import type { Json } from "../core/artifact.ts";
import type { StageResult } from "../core/events.ts";
import type { ResolvedStage } from "../core/graph.ts";

/**
 * A stage that ran or was restored, with the metrics its json outputs declare (read from their
 * small objects in the local cache). The run log keeps them, so comparing runs never needs the
 * objects; an output whose object is not local (a remote hit) contributes nothing.
 */
export async function withMetrics(result: StageResult, stage: ResolvedStage, store: CacheDriver): Promise<StageResult> {
  if ((result.status !== "ran" && result.status !== "cached") || !result.outputs) return result;
  const metrics: Record<string, number> = {};
  for (const [slot, spec] of Object.entries(stage.def.outputs)) {
    const ref = result.outputs[slot];
    if (spec.kind !== "json" || !spec.metrics || !ref) continue;
    const bytes = await store.readObject(ref.hash);
    if (!bytes) continue;
    Object.assign(metrics, spec.metrics(JSON.parse(Buffer.from(bytes).toString("utf8")) as Json));
  }
  return Object.keys(metrics).length > 0 ? { ...result, metrics } : result;
}

/** "STAGE.METRIC" -> value of the headline metrics of the stages that ran or were restored. */
export function headlineMetrics(results: readonly StageResult[], stages: ReadonlyMap<string, ResolvedStage>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const result of results) {
    if (!result.metrics) continue;
    const headline = Object.values(stages.get(result.name)?.def.outputs ?? {}).flatMap((spec) => spec.headline ?? []);
    for (const name of headline) if (name in result.metrics) out[`${result.name}.${name}`] = result.metrics[name]!;
  }
  return out;
}
