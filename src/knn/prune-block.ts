import type { WasmMemory } from "./wasm-api.ts";
import { filterArgs, pushInto, scanTile, stageQueryIds, stageThresholds, type DistBlock } from "./block-search.ts";
import { squaredDistance64, TopList, writeTop } from "./exact.ts";
import { PRUNE_QUERIES, REF_TILE, type GroupLayout, type MemoryLayout, type ProjectionLayout, type ScratchLayout } from "./layout.ts";
import type { KnnResult } from "./types.ts";

/** Rows ranked best by their bound whose float64 distances set the threshold T. */
export function seedCount(k: number): number {
  return 2 * k;
}

/** Counters of the pruned path: float64 distances computed, and pairs they were chosen among. */
export interface PruneStats {
  survivors: number;
  pairs: number;
}

/**
 * Exact top-k of each query row of one block within one group, pruned by the lower bound
 * (prune-fit.ts). Needs group.length > seedCount(k) and a projection in the layout.
 *
 *  1. The wasm kernel computes the float32 bound b(x) = |y(q) - y(x)|^2 for every row x of the
 *     group (rank + 1 dims instead of dims), kept in this worker's bounds scratch; each query
 *     keeps the seedCount(k) rows of smallest bound.
 *  2. T = the k-th smallest float64 distance among those seeds. T >= D_k, the true k-th
 *     smallest float64 distance of the group, since the seeds are k or more real rows.
 *  3. Every row with b(x) <= T + coef (Nq + Nx) gets its float64 distance; the top-k of these
 *     is the answer. Proof: a row x of the true top-k has d64(x) <= D_k <= T, and the error
 *     budget gives b(x) <= d64(x) + coef (Nq + Nx), so x is evaluated; the order (distance, id)
 *     is the same total order the brute force uses, so ties resolve identically.
 * With `countOnly` (the plan's sample) step 3 only counts the rows it would evaluate.
 */
export function searchBlockPruned(
  kernel: DistBlock,
  memory: WasmMemory,
  layout: MemoryLayout,
  scratch: ScratchLayout,
  ids: Int32Array,
  group: GroupLayout,
  k: number,
  result: KnnResult,
  stats: PruneStats,
  countOnly = false,
): void {
  for (let start = 0; start < ids.length; start += PRUNE_QUERIES) {
    searchPart(kernel, memory, layout, scratch, ids.subarray(start, start + PRUNE_QUERIES), start, group, k, result, stats, countOnly);
  }
}

/** searchBlockPruned for at most PRUNE_QUERIES queries, the first of which is slot `first` of the block. */
function searchPart(
  kernel: DistBlock,
  memory: WasmMemory,
  layout: MemoryLayout,
  scratch: ScratchLayout,
  ids: Int32Array,
  first: number,
  group: GroupLayout,
  k: number,
  result: KnnResult,
  stats: PruneStats,
  countOnly: boolean,
): void {
  const projection = layout.projection!;
  const seeds = computeBounds(kernel, memory, projection, scratch, ids, group, seedCount(k));
  const f32 = new Float32Array(memory.buffer);
  const centered = new Float32Array(memory.buffer, projection.centeredNormsOffset, layout.rows);
  const exact = new TopList(k);
  seeds.forEach((list, q) => {
    const queryAt = layout.dataOffset / 4 + ids[q]! * layout.dp;
    exact.reset();
    for (let i = 0; i < list.size; i++) exact.push(squaredDistance64(f32, queryAt, f32, layout.dataOffset / 4 + list.ids[i]! * layout.dp, layout.dims), list.ids[i]!);
    const threshold = exact.worst();
    exact.reset();
    const evaluate = (row: number): void => {
      stats.survivors++;
      if (!countOnly) exact.push(squaredDistance64(f32, queryAt, f32, layout.dataOffset / 4 + row * layout.dp, layout.dims), row);
    };
    scanBounds(f32, scratch, q, group, memory, threshold, projection.coef, centered, ids[q]!, evaluate);
    stats.pairs += group.length;
    writeTop(exact, result, first + q, k);
  });
}

/** Fills the bounds scratch tile by tile and returns each query's seeds (smallest bounds). */
function computeBounds(kernel: DistBlock, memory: WasmMemory, projection: ProjectionLayout, scratch: ScratchLayout, ids: Int32Array, group: GroupLayout, capacity: number): TopList[] {
  const count = ids.length;
  const padded = stageQueryIds(memory, scratch, ids);
  const refIds = new Int32Array(memory.buffer, group.idsOffset, group.length);
  const lists = Array.from({ length: count }, () => new TopList(capacity));
  for (let start = 0; start < group.length; start += REF_TILE) {
    const actual = Math.min(REF_TILE, group.length - start);
    const width = actual + (actual % 2);
    const tileOffset = scratch.boundsOffset + start * PRUNE_QUERIES * 4; // kept whole: scanBounds reads every bound
    stageThresholds(memory, scratch, count, (q) => lists[q]!.worst());
    kernel(projection.offset, projection.normsOffset, scratch.qidsOffset, padded, projection.offset, projection.normsOffset, group.idsOffset + start * 4, width, projection.pdp * 4, tileOffset, ...filterArgs(scratch));
    scanTile(memory, scratch, tileOffset, width, actual, refIds, start, count, pushInto(lists));
  }
  return lists;
}

/**
 * Calls `evaluate` for every row of the group whose bound does not exceed the threshold plus
 * the error budget. The group-wide limit (with the largest |x - mu|^2) rejects most rows at
 * one comparison; the rest are checked against their own, tighter, margin.
 */
function scanBounds(
  f32: Float32Array,
  scratch: ScratchLayout,
  q: number,
  group: GroupLayout,
  memory: WasmMemory,
  threshold: number,
  coef: number,
  centered: Float32Array,
  queryRow: number,
  evaluate: (row: number) => void,
): void {
  const refIds = new Int32Array(memory.buffer, group.idsOffset, group.length);
  const queryMargin = coef * centered[queryRow]!;
  const loose = threshold + queryMargin + coef * group.maxCenteredNorm;
  const boundsAt = scratch.boundsOffset / 4;
  for (let start = 0; start < group.length; start += REF_TILE) {
    const actual = Math.min(REF_TILE, group.length - start);
    const width = actual + (actual % 2);
    const at = boundsAt + start * PRUNE_QUERIES + q * width;
    for (let r = 0; r < actual; r++) {
      const value = f32[at + r]!;
      if (value > loose) continue;
      const row = refIds[start + r]!;
      if (value <= threshold + queryMargin + coef * centered[row]!) evaluate(row);
    }
  }
}
