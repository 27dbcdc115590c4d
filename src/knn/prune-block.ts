import type { WasmMemory } from "./wasm-api.ts";
import { kernelFilter, pushInto, scanTile, stageQueryIds, stageThresholds, type BlockSearch } from "./block-search.ts";
import { squaredDistance64, TopList, writeTop } from "./exact.ts";
import { PRUNE_QUERIES, REF_TILE, type GroupLayout, type ProjectionLayout } from "./layout.ts";
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
 * (prune-fit.ts), written to `result` by query slot. Needs group.length > seedCount(k), a
 * projection in the layout, and queries that are data rows.
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
export function searchBlockPruned(search: BlockSearch, result: KnnResult, countOnly = false): PruneStats {
  const stats: PruneStats = { survivors: 0, pairs: 0 };
  const { ids } = search.query;
  for (let first = 0; first < ids.length; first += PRUNE_QUERIES) {
    searchPart({ search, ids: ids.subarray(first, first + PRUNE_QUERIES), first, result, countOnly }, stats);
  }
  return stats;
}

/** At most PRUNE_QUERIES queries of a block, the first of which is slot `first` of the block. */
interface PrunePart {
  search: BlockSearch;
  ids: Int32Array;
  first: number;
  result: KnnResult;
  countOnly: boolean;
}

function searchPart(part: PrunePart, stats: PruneStats): void {
  const { search, ids, first, result, countOnly } = part;
  const { memory, layout, group, k } = search;
  const projection = layout.projection!;
  const seeds = computeBounds(search, projection, ids, seedCount(k));
  const f32 = new Float32Array(memory.buffer);
  const centered = new Float32Array(memory.buffer, projection.centeredNormsOffset, layout.rows);
  const distance = (queryAt: number, row: number): number =>
    squaredDistance64(f32, queryAt, f32, layout.dataOffset / 4 + row * layout.dp, layout.dims);
  const exact = new TopList(k);
  seeds.forEach((list, q) => {
    const queryAt = layout.dataOffset / 4 + ids[q]! * layout.dp;
    exact.reset();
    for (let i = 0; i < list.size; i++) exact.push(distance(queryAt, list.ids[i]!), list.ids[i]!);
    const threshold = exact.worst();
    exact.reset();
    const evaluate = (row: number): void => {
      stats.survivors++;
      if (!countOnly) exact.push(distance(queryAt, row), row);
    };
    const margins = { coef: projection.coef, centered, queryRow: ids[q]! };
    scanBounds({ memory, f32, group, boundsOffset: search.scratch.boundsOffset, q }, threshold, margins, evaluate);
    stats.pairs += group.length;
    writeTop(exact, result, first + q, k);
  });
}

/** Fills the bounds scratch tile by tile and returns each query's seeds (smallest bounds). */
function computeBounds(search: BlockSearch, projection: ProjectionLayout, ids: Int32Array, capacity: number): TopList[] {
  const { memory, scratch, group, kernels } = search;
  const count = ids.length;
  const padded = stageQueryIds(memory, scratch, ids);
  const refIds = new Int32Array(memory.buffer, group.idsOffset, group.length);
  const lists = Array.from({ length: count }, () => new TopList(capacity));
  const projected = { base: projection.offset, norms: projection.normsOffset };
  for (let start = 0; start < group.length; start += REF_TILE) {
    const actual = Math.min(REF_TILE, group.length - start);
    const width = actual + (actual % 2);
    const out = scratch.boundsOffset + start * PRUNE_QUERIES * 4; // kept whole: scanBounds reads every bound
    stageThresholds(memory, scratch, count, (q) => lists[q]!.worst());
    kernels.float32({
      queries: { ...projected, ids: scratch.qidsOffset, count: padded },
      references: { ...projected, ids: group.idsOffset + start * 4, count: width },
      rowBytes: projection.pdp * 4,
      out,
      filter: kernelFilter(scratch),
    });
    scanTile({ memory, scratch, out, width, actual, refIds, start, count, packed: false }, pushInto(lists));
  }
  return lists;
}

/** Query slot q's bounds against a whole group in the bounds scratch. */
interface GroupBounds {
  memory: WasmMemory;
  f32: Float32Array;
  group: GroupLayout;
  boundsOffset: number;
  q: number;
}

/** The bound's error budget: coef (|q - mu|^2 + |x - mu|^2), with |x - mu|^2 from `centered` by row. */
interface BoundMargins {
  coef: number;
  centered: Float32Array;
  queryRow: number;
}

/**
 * Calls `evaluate` for every row of the group whose bound does not exceed the threshold plus
 * the error budget. The group-wide limit (with the largest |x - mu|^2) rejects most rows at
 * one comparison; the rest are checked against their own, tighter, margin.
 */
function scanBounds(bounds: GroupBounds, threshold: number, margins: BoundMargins, evaluate: (row: number) => void): void {
  const { memory, f32, group, q } = bounds;
  const { coef, centered } = margins;
  const refIds = new Int32Array(memory.buffer, group.idsOffset, group.length);
  const queryMargin = coef * centered[margins.queryRow]!;
  const loose = threshold + queryMargin + coef * group.maxCenteredNorm;
  const boundsAt = bounds.boundsOffset / 4;
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
