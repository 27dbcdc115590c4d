import type { WasmMemory, WasmModule } from "./wasm-api.ts";
import type { MemoryLayout } from "./layout.ts";

/** "count": only count the survivors of the bound (a sample for the plan), result left empty. */
export type PruneMode = "off" | "count" | "full";

/** Messages between the pool (pool.ts) and a kNN worker (knn-worker.ts). */
export interface WorkerInit {
  module: WasmModule;
  memory: WasmMemory;
  layout: MemoryLayout;
  /** which scratch region of the layout this worker owns */
  slot: number;
}

export type WorkerTask =
  | { kind: "rows"; id: number; queries: Int32Array; k: number; prune: PruneMode }
  | { kind: "vectors"; id: number; vectors: Float32Array; k: number; slice?: RefSlice };

/** Reference rows [start, end) of the (single) group: a lone query is split over workers by these. */
export type RefSlice = readonly [start: number, end: number];

/** What a task's searches counted (summed over its groups), for KnnSearchStats. */
export interface TaskCounts {
  /** int16 shortlists finished by a limit pass, and float32 ones */
  codeFallbacks: number;
  fallbacks: number;
  /** pruned tasks: float64 distances computed, and the query x reference pairs they stood for */
  survivors: number;
  pairs: number;
}

export const NO_COUNTS: Readonly<TaskCounts> = { codeFallbacks: 0, fallbacks: 0, survivors: 0, pairs: 0 };

export interface WorkerReply {
  id: number;
  /** one per group, each queries*k entries */
  indices: Int32Array[];
  distances: Float64Array[];
  counts: TaskCounts;
}
