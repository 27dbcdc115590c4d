import { UsageError } from "./errors.ts";
import { listByOrigin, originOf } from "./stage-origin.ts";
import { didYouMeanTail } from "./suggest.ts";
import { ancestorsOf, downstreamOf, type ResolvedPipeline } from "./graph.ts";

export interface SelectionFlags {
  targets: readonly string[];
  from?: string | undefined;
  until?: string | undefined;
  only?: string | undefined;
  /** include effect stages (publish) in a whole-pipeline run */
  publish: boolean;
}

/** A stage name typed on the command line, checked against pipeline.yaml (with a near name when it is not there). */
export function requireStage(pipeline: Pick<ResolvedPipeline, "stages" | "order">, name: string): void {
  if (pipeline.stages.has(name)) return;
  throw new UsageError(
    `no stage "${name}" in pipeline.yaml${didYouMeanTail(name, pipeline.order)}`,
    `stages are ${listByOrigin(pipeline.order.map((n) => ({ name: n, origin: originOf(pipeline.stages.get(n)!) })))}`,
  );
}

/**
 * The stages a run may execute. Selection only narrows: the cache still decides what runs.
 *   run            every stage except effects (publish) — a plain run never touches the network
 *   run S...       each S and its ancestors
 *   --until S      S and its ancestors           --from S   S and its descendants
 *   --only S       S alone (its inputs must be cached)
 */
export function selectStages(pipeline: ResolvedPipeline, flags: SelectionFlags): Set<string> {
  const named = [...flags.targets, flags.from, flags.until, flags.only].filter((s): s is string => s !== undefined);
  for (const name of named) requireStage(pipeline, name);
  const isEffect = (name: string) => pipeline.stages.get(name)!.def.effect === true;
  if (flags.only) return new Set([flags.only]);
  let scope: Set<string>;
  if (flags.targets.length > 0) {
    scope = new Set(flags.targets.flatMap((t) => [...ancestorsOf(pipeline, t)]));
  } else {
    scope = new Set(pipeline.order.filter((n) => flags.publish || !isEffect(n)));
  }
  if (flags.until) {
    const keep = ancestorsOf(pipeline, flags.until);
    scope = new Set([...scope].filter((n) => keep.has(n)));
    if (isEffect(flags.until)) scope.add(flags.until);
  }
  if (flags.from) {
    const keep = downstreamOf(pipeline, flags.from);
    scope = new Set([...scope].filter((n) => keep.has(n)));
  }
  return scope;
}
