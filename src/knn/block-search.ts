import type { WasmMemory } from "./wasm-api.ts";
import { squaredDistance64, TopList, writeTop } from "./exact.ts";
import { QUERY_BLOCK, REF_TILE, type GroupLayout, type MemoryLayout, type ScratchLayout } from "./layout.ts";
import type { KnnResult } from "./types.ts";

/** The wasm export: see knn-kernel.wat. */
export type DistBlock = (qb: number, qn: number, qids: number, nq: number, rb: number, rn: number, rids: number, nr: number, dpb: number, out: number) => void;

/** Where one block's query vectors are: data rows, or outside vectors staged in scratch. */
export interface QuerySource {
  /** byte offset of the matrix the query ids index, and of its norms */
  base: number;
  normsBase: number;
  /** query ids into that matrix, count <= QUERY_BLOCK */
  ids: Int32Array;
}

/** Extra float32 candidates kept per query beyond k, so the exact re-check rarely falls back. */
export function shortlistSize(k: number): number {
  return k + Math.max(8, k);
}

/** Counts of how often the float32 shortlist could not be proven complete. */
export interface BlockStats {
  fallbacks: number;
}

/**
 * Top-k of each query of one block within one group. Phase 1 ranks every reference by the
 * float32 value |q|^2 + |x|^2 - 2 q.x (the wasm kernel) and keeps the best shortlistSize(k).
 * Phase 2 recomputes those in float64 (squaredDistance64) and keeps the best k. The result is
 * exact when d_k^2 < T - eps, where T is the worst kept float32 value and eps bounds the float32
 * error: every row left out has float32 value >= T, so its true value is >= T - eps > d_k^2.
 * Otherwise (ties or near-duplicates at the boundary) that query is redone by a float64 scan.
 */
export function searchBlock(
  kernel: DistBlock,
  memory: WasmMemory,
  layout: MemoryLayout,
  scratch: ScratchLayout,
  query: QuerySource,
  group: GroupLayout,
  k: number,
  result: KnnResult,
  stats: BlockStats,
): void {
  const lists = shortlist(kernel, memory, layout, scratch, query, group, shortlistSize(k));
  const f32 = new Float32Array(memory.buffer);
  const allIds = new Int32Array(memory.buffer, group.idsOffset, group.length);
  const exact = new TopList(k);
  lists.forEach((list, q) => {
    const queryAt = query.base / 4 + query.ids[q]! * layout.dp;
    exact.reset();
    for (let i = 0; i < list.size; i++) {
      exact.push(squaredDistance64(f32, queryAt, f32, list.ids[i]! * layout.dp, layout.dims), list.ids[i]!);
    }
    if (group.length > list.capacity && !provenComplete(exact, list, f32[query.normsBase / 4 + query.ids[q]!]!, group, layout.dims)) {
      stats.fallbacks++;
      exact.reset();
      for (const row of allIds) exact.push(squaredDistance64(f32, queryAt, f32, row * layout.dp, layout.dims), row);
    }
    writeTop(exact, result, q, k);
  });
}

function provenComplete(exact: TopList, list: TopList, queryNorm: number, group: GroupLayout, dims: number): boolean {
  // |fl32(|q|^2+|x|^2-2q.x) - |q-x|^2| <= ~(dims+4) u (|q|^2+|x|^2), u = 2^-24; a factor 2 margin
  // also covers the float32 rounding of the stored norms and the float64 re-check's own error.
  const eps = (2 * dims + 16) * 2 ** -24 * (queryNorm * (1 + 2 ** -20) + group.maxNorm);
  const threshold = list.keys[list.capacity - 1]!;
  return exact.size === exact.capacity && exact.keys[exact.capacity - 1]! < threshold - eps;
}

function shortlist(kernel: DistBlock, memory: WasmMemory, layout: MemoryLayout, scratch: ScratchLayout, query: QuerySource, group: GroupLayout, capacity: number): TopList[] {
  const count = query.ids.length;
  const padded = Math.ceil(count / 4) * 4;
  const qids = new Int32Array(memory.buffer, scratch.qidsOffset, QUERY_BLOCK);
  qids.set(query.ids);
  qids.fill(query.ids[count - 1]!, count, padded);
  const out = new Float32Array(memory.buffer, scratch.outOffset, QUERY_BLOCK * REF_TILE);
  const refIds = new Int32Array(memory.buffer, group.idsOffset, group.length + (group.length % 2));
  const lists = Array.from({ length: count }, () => new TopList(capacity));
  for (let start = 0; start < group.length; start += REF_TILE) {
    const actual = Math.min(REF_TILE, group.length - start);
    const width = actual + (actual % 2); // the id list's padding supplies the odd tail's partner
    kernel(query.base, query.normsBase, scratch.qidsOffset, padded, layout.dataOffset, layout.normsOffset, group.idsOffset + start * 4, width, layout.dp * 4, scratch.outOffset);
    for (let q = 0; q < count; q++) scanRow(out, q * width, actual, refIds, start, lists[q]!);
  }
  return lists;
}

function scanRow(out: Float32Array, at: number, actual: number, refIds: Int32Array, start: number, list: TopList): void {
  let worst = list.worst();
  for (let r = 0; r < actual; r++) {
    const value = out[at + r]!;
    if (value <= worst) {
      list.push(value, refIds[start + r]!);
      worst = list.worst();
    }
  }
}
