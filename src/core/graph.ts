import type { AnyStage } from "./stage.ts";

export type InputBinding =
  | { readonly kind: "file"; readonly slot: string; readonly path: string; readonly display: string }
  | { readonly kind: "ref"; readonly slot: string; readonly stage: string; readonly output: string };

export interface OutputBinding {
  readonly slot: string;
  /** absolute path the engine writes the output to */
  readonly path: string;
  /** the path as pipeline.yaml spells it */
  readonly display: string;
}

export interface ResolvedStage {
  readonly name: string;
  readonly def: AnyStage;
  /** params after zod parsing: defaults applied */
  readonly params: unknown;
  readonly inputs: readonly InputBinding[];
  readonly outputs: readonly OutputBinding[];
  /** stages whose outputs this one reads, sorted */
  readonly upstream: readonly string[];
}

export interface ResolvedPipeline {
  readonly file: string;
  readonly dir: string;
  readonly seed: number;
  readonly stages: ReadonlyMap<string, ResolvedStage>;
  /** topological order; ties broken by name so every run walks the same order */
  readonly order: readonly string[];
}

/** Kahn's algorithm with a sorted ready set. Returns the order, or the stages left in a cycle. */
export function topoOrder(
  names: readonly string[],
  upstreamOf: (name: string) => readonly string[],
): { order: string[]; cycle: string[] } {
  const indegree = new Map(names.map((n) => [n, 0]));
  const downstream = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const name of names) {
    for (const up of upstreamOf(name)) {
      if (!indegree.has(up)) continue;
      indegree.set(name, indegree.get(name)! + 1);
      downstream.get(up)!.push(name);
    }
  }
  const ready = names.filter((n) => indegree.get(n) === 0).sort();
  const order: string[] = [];
  while (ready.length > 0) {
    const next = ready.shift()!;
    order.push(next);
    for (const down of downstream.get(next)!) {
      const left = indegree.get(down)! - 1;
      indegree.set(down, left);
      if (left === 0) {
        ready.push(down);
        ready.sort();
      }
    }
  }
  const cycle = names.filter((n) => !order.includes(n)).sort();
  return { order, cycle };
}

export function downstreamOf(pipeline: ResolvedPipeline, name: string): Set<string> {
  const found = new Set<string>([name]);
  for (const stage of pipeline.order) {
    const s = pipeline.stages.get(stage)!;
    if (s.upstream.some((u) => found.has(u))) found.add(stage);
  }
  return found;
}

export function ancestorsOf(pipeline: ResolvedPipeline, name: string): Set<string> {
  const found = new Set<string>([name]);
  for (const stage of [...pipeline.order].reverse()) {
    if (!found.has(stage)) continue;
    for (const up of pipeline.stages.get(stage)!.upstream) found.add(up);
  }
  return found;
}
