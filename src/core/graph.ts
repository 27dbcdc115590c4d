import type { CommandSpec } from "./command.ts";
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
  /** a command stage (`uses: cmd`): the command, its deps and outs */
  readonly command?: CommandSpec;
  /** the plugin file defining the stage it uses, as pipeline.yaml's `plugins:` names it; absent when built in */
  readonly plugin?: string;
}

export interface ResolvedPipeline {
  readonly file: string;
  readonly dir: string;
  readonly seed: number;
  readonly stages: ReadonlyMap<string, ResolvedStage>;
  /** topological order; ties broken by name so every run walks the same order */
  readonly order: readonly string[];
  /** pipeline.yaml's `cache.remote`, as written (the environment may override it) */
  readonly remote?: {
    readonly url?: string | undefined;
    readonly mode: "off" | "read" | "readwrite";
    readonly trust: readonly string[];
    readonly timeout_ms: number;
  };
}

/** Kahn's algorithm with a sorted ready set. Returns the order, or the stages left in a cycle. */
export function topoOrder(names: readonly string[], upstreamOf: (name: string) => readonly string[]): { order: string[]; cycle: string[] } {
  const indegree = new Map(names.map((n) => [n, 0]));
  const downstream = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const name of names) {
    for (const up of upstreamOf(name)) {
      if (!indegree.has(up)) continue;
      indegree.set(name, indegree.get(name)! + 1);
      downstream.get(up)!.push(name);
    }
  }
  // a binary heap, not a re-sorted array, and a set for what is placed: linear-logarithmic in
  // the stage count (a yaml of 50,000 stages took minutes with sort-per-push and includes)
  const ready = new _MinHeap(names.filter((n) => indegree.get(n) === 0));
  const order: string[] = [];
  while (ready.size > 0) {
    const next = ready.pop();
    order.push(next);
    for (const down of downstream.get(next)!) {
      const left = indegree.get(down)! - 1;
      indegree.set(down, left);
      if (left === 0) ready.push(down);
    }
  }
  const placed = new Set(order);
  const cycle = names.filter((n) => !placed.has(n)).sort();
  return { order, cycle };
}

/** Strings, smallest (as Array.prototype.sort orders them) first. */
class _MinHeap {
  private readonly items: string[] = [];

  constructor(initial: readonly string[]) {
    for (const item of initial) this.push(item);
  }

  get size(): number {
    return this.items.length;
  }

  push(item: string): void {
    const items = this.items;
    let i = items.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= item) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  pop(): string {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && items[right]! < items[left]! ? right : left;
        if (items[child]! >= last) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
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
