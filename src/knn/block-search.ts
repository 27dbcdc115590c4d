import type { WasmMemory } from "./wasm-api.ts";
import { squaredDistance64, TopList, writeTop } from "./exact.ts";
import { QUERY_BLOCK, REF_TILE, type GroupLayout, type MemoryLayout, type ScratchLayout } from "./layout.ts";
import { roundUpToFloat32 } from "./quantize.ts";
import type { KnnResult } from "./types.ts";

/** The wasm exports: see knn-kernel.wat. */
/** The last three arguments of both: per-query thresholds, hit lists and hit counts (scanTile). */
export type DistBlock = (qb: number, qn: number, qids: number, nq: number, rb: number, rn: number, rids: number, nr: number, dpb: number, out: number, thr: number, hits: number, counts: number) => void;
export type DistBlockCodes = (qb: number, qs: number, qn: number, qids: number, nq: number, rrows: number, rs: number, rn: number, rids: number, nr: number, dpb: number, out: number, thr: number, hits: number, counts: number) => void;

export interface Kernels {
  float32: DistBlock;
  int16: DistBlockCodes;
}

/** Where one block's query vectors are: data rows, or outside vectors staged in scratch. */
export interface QuerySource {
  /** byte offset of the matrix the query ids index, and of its norms */
  base: number;
  normsBase: number;
  /** query ids into that matrix, count <= QUERY_BLOCK */
  ids: Int32Array;
  /** byte offsets of the same vectors' int16 codes, scales and code error norms (codes only) */
  codes?: { base: number; scalesBase: number; errorsBase: number };
}

/** Extra candidates kept per query beyond k, so the exact re-check rarely falls back. */
export function shortlistSize(k: number): number {
  return k + Math.max(8, k);
}

/** How often a shortlist could not be proven complete. */
export interface BlockStats {
  /** int16 shortlists finished by an int16 limit pass (the float32 kernel redoes any it drops) */
  codeFallbacks: number;
  /** float32 shortlists finished by finishByLimit */
  fallbacks: number;
}

/**
 * Top-k of each query of one block within one group. Phase 1 ranks every reference by an
 * approximate |q|^2 + |x|^2 - 2 q.x from a wasm kernel and keeps the best shortlistSize(k).
 * Phase 2 recomputes those in float64 (squaredDistance64) and keeps the best k. The result is
 * exact when d_k^2 < T - eps, where T is the worst kept approximate value and eps bounds the
 * approximation's error: every row left out has approximate value >= T, so its true value is
 * >= T - eps > d_k^2. The int16 kernel (twice as fast) serves when the layout has codes, else
 * the float32 one. A query the shortlist cannot prove (ties or near-duplicates at the boundary)
 * is finished by finishByLimit with the same kernel; when the int16 limit admits more than
 * LIMIT_PASS_ROWS rows (a loose error bound), the float32 kernel, whose bound is tighter, redoes it.
 */
export function searchBlock(
  kernels: Kernels,
  memory: WasmMemory,
  layout: MemoryLayout,
  scratch: ScratchLayout,
  query: QuerySource,
  group: GroupLayout,
  k: number,
  result: KnnResult,
  stats: BlockStats,
): void {
  const f32 = new Float32Array(memory.buffer);
  const queryNorm = (q: number, source: QuerySource): number => f32[source.normsBase / 4 + source.ids[q]!]!;
  if (group.maxNorm > MAX_KERNEL_NORM || query.ids.some((_, q) => !(queryNorm(q, query) <= MAX_KERNEL_NORM))) {
    query.ids.forEach((_, q) => writeTop(scan64(f32, layout, query, q, group, k), result, q, k));
    return;
  }
  const search = { memory, layout, scratch, group, k };
  const float32 = (source: QuerySource): TopList[] =>
    searchWith(search, source, float32Tiles(kernels.float32, search, source), (q) => float32ErrorBound(queryNorm(q, source), group, layout.dims), (redo, limits) => {
      stats.fallbacks += redo.ids.length;
      return finishByLimit(search, redo, float32Tiles(kernels.float32, search, redo), limits) as TopList[]; // no row cap: none is dropped
    });
  const int16 = (source: QuerySource): TopList[] =>
    searchWith(search, source, codeTiles(kernels.int16, search, source), (q) => codesErrorBound(queryNorm(q, source), f32[source.codes!.errorsBase / 4 + source.ids[q]!]!, group), (redo, limits) => {
      stats.codeFallbacks += redo.ids.length;
      const finished = finishByLimit(search, redo, codeTiles(kernels.int16, search, redo), limits, LIMIT_PASS_ROWS);
      const dropped = finished.flatMap((list, i) => (list ? [] : [i]));
      if (dropped.length > 0) float32({ ...redo, ids: Int32Array.from(dropped, (i) => redo.ids[i]!) }).forEach((list, j) => (finished[dropped[j]!] = list));
      return finished as TopList[];
    });
  const exact = layout.codes && query.codes && group.length > shortlistSize(k) ? int16(query) : float32(query);
  exact.forEach((list, q) => writeTop(list, result, q, k));
}

/**
 * Squared norms above this could overflow float32 inside the kernels (|q|^2 + |x|^2, 2 q.x, the
 * scale product): queries of such size, or groups holding such rows, get the float64 scan.
 */
const MAX_KERNEL_NORM = 2 ** 120;

/** Most rows an int16 limit pass re-checks in float64 for one query before the float32 kernel takes over. */
const LIMIT_PASS_ROWS = 4096;

/** What one block's search of one group works in. */
interface GroupSearch {
  memory: WasmMemory;
  layout: MemoryLayout;
  scratch: ScratchLayout;
  group: GroupLayout;
  k: number;
}

/** One kernel bound to a staged block of queries: tile(start, width) runs it over columns start.. of the group. */
interface TileKernel {
  tile(start: number, width: number): void;
  /** it stores only the values it admits (dist_block_i16; see scanTile) */
  packed: boolean;
}

/**
 * The exact top-k of each query: the shortlist of `kernel` (staged for `query`) re-checked in
 * float64, where it is proven complete (errorBound(q) is the kernel's error for query q). The
 * others go to `finish` with their limits (finishByLimit).
 */
function searchWith(
  search: GroupSearch,
  query: QuerySource,
  kernel: TileKernel,
  errorBound: (q: number) => number,
  finish: (redo: QuerySource, limits: number[]) => TopList[],
): TopList[] {
  const { memory, layout, group, k } = search;
  const f32 = new Float32Array(memory.buffer);
  const exact: TopList[] = [];
  const unproven: number[] = [];
  const limits: number[] = [];
  shortlist(search, query.ids.length, kernel, shortlistSize(k)).forEach((list, q) => {
    const eps = errorBound(q);
    exact[q] = recheck(f32, layout, query, q, list, k, eps);
    if (group.length <= list.capacity || provenComplete(exact[q]!, list, eps)) return;
    unproven.push(q);
    limits.push(exact[q]!.keys[k - 1]! + eps);
  });
  if (unproven.length > 0) {
    const redo = { ...query, ids: Int32Array.from(unproven, (q) => query.ids[q]!) };
    finish(redo, limits).forEach((list, i) => (exact[unproven[i]!] = list));
  }
  return exact;
}

/** Each query's best `capacity` kernel values, with the rows they belong to. */
function shortlist(search: GroupSearch, count: number, kernel: TileKernel, capacity: number): TopList[] {
  const lists = Array.from({ length: count }, () => new TopList(capacity));
  eachTile(search, count, kernel, (q) => lists[q]!.worst(), pushInto(lists));
  return lists;
}

/**
 * Finishes queries whose shortlist could not be proven complete. limits[q] = D + eps, with D
 * the k-th float64 distance of the shortlist (D >= the true k-th distance, the shortlist's k
 * being real rows) and eps the kernel's error bound: every row of the true top-k has a kernel
 * value <= D + eps. One more pass admits every row under that limit (40 rows tied at the k-th
 * distance, say), and their float64 top-k is exact. A query that admits more than maxRows
 * rows is dropped from the pass and left undefined.
 */
function finishByLimit(search: GroupSearch, query: QuerySource, kernel: TileKernel, limits: readonly number[], maxRows = Infinity): (TopList | undefined)[] {
  const { memory, layout, k } = search;
  const f32 = new Float32Array(memory.buffer);
  const staged = limits.map(roundUpToFloat32); // the kernel compares float32 values
  const exact: (TopList | undefined)[] = limits.map(() => new TopList(k));
  const admitted = limits.map(() => 0);
  eachTile(search, limits.length, kernel, (q) => (exact[q] ? staged[q]! : -Infinity), (q, value, row) => {
    if (!(value <= staged[q]!) || !exact[q]) return;
    if (++admitted[q]! > maxRows) exact[q] = undefined;
    else exact[q].push(squaredDistance64(f32, query.base / 4 + query.ids[q]! * layout.dp, f32, layout.dataOffset / 4 + row * layout.dp, layout.dims), row);
  });
  return exact;
}

/** The float64 top-k of query q over the whole group. */
function scan64(f32: Float32Array, layout: MemoryLayout, query: QuerySource, q: number, group: GroupLayout, k: number): TopList {
  const queryAt = query.base / 4 + query.ids[q]! * layout.dp;
  const exact = new TopList(k);
  for (const row of new Int32Array(f32.buffer, group.idsOffset, group.length)) {
    exact.push(squaredDistance64(f32, queryAt, f32, layout.dataOffset / 4 + row * layout.dp, layout.dims), row);
  }
  return exact;
}

/** The float64 top-k of a shortlist whose values are within eps of the float64 distances. */
function recheck(f32: Float32Array, layout: MemoryLayout, query: QuerySource, q: number, list: TopList, k: number, eps: number): TopList {
  const queryAt = query.base / 4 + query.ids[q]! * layout.dp;
  const exact = new TopList(k);
  for (let i = 0; i < list.size; i++) {
    // the list ascends: once a value is beyond the k-th exact distance so far by more than the
    // kernel's error, this row and every later one are truly farther, and cannot enter
    if (exact.size === k && list.keys[i]! - eps > exact.keys[k - 1]!) break;
    exact.push(squaredDistance64(f32, queryAt, f32, layout.dataOffset / 4 + list.ids[i]! * layout.dp, layout.dims), list.ids[i]!);
  }
  return exact;
}

function provenComplete(exact: TopList, list: TopList, eps: number): boolean {
  const threshold = list.keys[list.capacity - 1]!;
  return exact.size === exact.capacity && exact.keys[exact.capacity - 1]! < threshold - eps;
}

/**
 * |fl32(|q|^2+|x|^2-2q.x) - |q-x|^2| <= ~(dims+4) u (|q|^2+|x|^2), u = 2^-24; a factor 2 margin
 * also covers the float32 rounding of the stored norms and the float64 re-check's own error.
 * Products and sums below 2^-126 are rounded absolutely (2^-150 each, subnormal), hence the floor.
 */
export function float32ErrorBound(queryNorm: number, group: GroupLayout, dims: number): number {
  return (2 * dims + 16) * 2 ** -24 * (queryNorm * (1 + 2 ** -20) + group.maxNorm) + (2 * dims + 32) * 2 ** -149;
}

/**
 * The int16 kernel's value uses q^.x^ (q^ = s_q A_q) for q.x, and q.x - q^.x^ = e_q.x + q^.e_x,
 * so |error| <= 2 (|e_q| |x| + |q^| |e_x|) <= 2 (|e_q| max|x| + (|q| + |e_q|) max|e_x|); the
 * integer sum is exact, and the few float32 roundings of the epilogue (norms, scale product,
 * conversion, subtraction: relative u each on terms <= |q|^2 + |x|^2) and the float64
 * re-check's own error (dims 2^-53 relative) fit in a 64 u margin. Below 2^-126 float32 rounds
 * absolutely: the scale product 2 sq sr may lose 2^-150, which the integer sum (< 2^31)
 * multiplies to 2^-119, so a floor of 2^-116 covers it and the other subnormal roundings.
 */
export function codesErrorBound(queryNorm: number, codeError: number, group: GroupLayout): number {
  const queryLength = Math.sqrt(queryNorm * (1 + 2 ** -20));
  const quantization = 2 * (codeError * Math.sqrt(group.maxNorm) + (queryLength + codeError) * group.maxCodeError);
  return quantization * (1 + 2 ** -20) + 64 * 2 ** -24 * (queryNorm * (1 + 2 ** -20) + group.maxNorm) + 2 ** -116;
}

/** Query ids of one block in scratch, padded to the kernel's 4-query register block. */
export function stageQueryIds(memory: WasmMemory, scratch: ScratchLayout, ids: Int32Array): number {
  const count = ids.length;
  const padded = Math.ceil(count / 4) * 4;
  const qids = new Int32Array(memory.buffer, scratch.qidsOffset, QUERY_BLOCK);
  qids.set(ids);
  qids.fill(ids[count - 1]!, count, padded);
  return padded;
}

/**
 * Width of a group's first tile; each next one is twice as wide, up to REF_TILE. The lists are
 * empty when the first starts, so the kernel admits all of it; it fills them (capacity ~2k),
 * and the thresholds, staged once per tile, fall fastest while the tiles are narrow.
 */
const FIRST_TILE = 64;

/** Receives an admitted kernel value of query slot q for group row `row`. */
export type Accept = (q: number, value: number, row: number) => void;

/**
 * Runs the kernel over the group's reference tiles; before each tile, query q's admission
 * threshold is limit(q), and accept receives what the kernel admitted (scanTile).
 */
function eachTile(search: GroupSearch, count: number, kernel: TileKernel, limit: (q: number) => number, accept: Accept): void {
  const { memory, scratch, group } = search;
  const refIds = new Int32Array(memory.buffer, group.idsOffset, group.length + (group.length % 2));
  for (let start = 0, size = FIRST_TILE; start < group.length; start += size, size = Math.min(2 * size, REF_TILE)) {
    const actual = Math.min(size, group.length - start);
    const width = actual + (actual % 2); // the id list's padding supplies the odd tail's partner
    stageThresholds(memory, scratch, count, limit);
    kernel.tile(start, width);
    scanTile(memory, scratch, scratch.outOffset, width, actual, refIds, start, count, accept, kernel.packed);
  }
}

/** accept for a shortlist: the value enters query q's list when it beats the worst kept. */
export function pushInto(lists: readonly TopList[]): Accept {
  return (q, value, row) => {
    const list = lists[q]!;
    if (value <= list.worst()) list.push(value, row);
  };
}

/** Query slot q's admission threshold for the kernel's filter is limit(q); padding slots of the last quad admit nothing. */
export function stageThresholds(memory: WasmMemory, scratch: ScratchLayout, count: number, limit: (q: number) => number): void {
  const thresholds = new Float32Array(memory.buffer, scratch.thresholdsOffset, QUERY_BLOCK);
  for (let q = 0; q < QUERY_BLOCK; q++) thresholds[q] = q < count ? limit(q) : -Infinity;
}

/**
 * Hands a tile's admitted values to accept. The kernel listed, per quad of queries, the
 * columns where one of the four values was <= its query's threshold, ascending, with the lanes
 * that passed; so each query sees its admitted columns in order, and with shortlist thresholds
 * (a list's worst value, which only falls during the tile) every value a full scan would keep
 * is among them.
 * Values are out[q * width + r] (dist_block), or with `packed` (dist_block_i16, which stores
 * only what it lists) out[4 (m width + n) + q - 4m] for the n-th column listed by quad m.
 */
export function scanTile(memory: WasmMemory, scratch: ScratchLayout, outOffset: number, width: number, actual: number, refIds: Int32Array, start: number, count: number, accept: Accept, packed = false): void {
  const out = new Float32Array(memory.buffer, outOffset, Math.ceil(count / 4) * 4 * width);
  const hits = new Int32Array(memory.buffer, scratch.hitsOffset, (QUERY_BLOCK / 4) * REF_TILE);
  const counts = new Int32Array(memory.buffer, scratch.hitCountsOffset, QUERY_BLOCK / 4);
  for (let quad = 0; quad * 4 < count; quad++) {
    const last = Math.min(quad * 4 + 4, count);
    for (let h = 0; h < counts[quad]!; h++) {
      const hit = hits[quad * width + h]!;
      const r = hit & 0xffff;
      if (r >= actual) continue; // the odd tail's padding partner
      const packedAt = (quad * width + h) * 4 - quad * 4;
      for (let q = quad * 4; q < last; q++) {
        if ((hit >>> (16 + q - quad * 4)) & 1) accept(q, out[packed ? packedAt + q : q * width + r]!, refIds[start + r]!);
      }
    }
  }
}

function float32Tiles(kernel: DistBlock, search: GroupSearch, query: QuerySource): TileKernel {
  const { memory, layout, scratch, group } = search;
  const padded = stageQueryIds(memory, scratch, query.ids);
  return {
    packed: false,
    tile: (start, width) => kernel(query.base, query.normsBase, scratch.qidsOffset, padded, layout.dataOffset, layout.normsOffset, group.idsOffset + start * 4, width, layout.dp * 4, scratch.outOffset, ...filterArgs(scratch)),
  };
}

function codeTiles(kernel: DistBlockCodes, search: GroupSearch, query: QuerySource): TileKernel {
  const { memory, layout, scratch, group } = search;
  const codes = layout.codes!;
  const source = query.codes!;
  const padded = stageQueryIds(memory, scratch, query.ids);
  stageQuadCodes(memory, scratch, source.base, codes.dpi, padded);
  return {
    packed: true,
    tile: (start, width) =>
      kernel(
        scratch.quadCodesOffset, source.scalesBase, query.normsBase, scratch.qidsOffset, padded,
        group.codeRowsOffset + start * 4, codes.scalesOffset, layout.normsOffset, group.idsOffset + start * 4, width,
        codes.dpi * 2, scratch.outOffset, ...filterArgs(scratch),
      ),
  };
}

/**
 * Copies the block's query codes (rows of `dpi` int16 at `base`, picked by the staged query
 * ids) to scratch in the order dist_block_i16 reads them: quad by quad, and within a quad the
 * four queries' 8-code chunks side by side, so one pointer serves all four loads.
 */
export function stageQuadCodes(memory: WasmMemory, scratch: ScratchLayout, base: number, dpi: number, padded: number): void {
  const codes = new Int16Array(memory.buffer);
  const qids = new Int32Array(memory.buffer, scratch.qidsOffset, padded);
  const staged = scratch.quadCodesOffset / 2;
  for (let slot = 0; slot < padded; slot++) {
    const from = base / 2 + qids[slot]! * dpi;
    const to = staged + (slot >> 2) * 4 * dpi + (slot & 3) * 8;
    for (let chunk = 0; chunk < dpi; chunk += 8) codes.copyWithin(to + chunk * 4, from + chunk, from + chunk + 8);
  }
}

/** The kernels' filter arguments: thresholds, hits and hit counts in this worker's scratch. */
export function filterArgs(scratch: ScratchLayout): [number, number, number] {
  return [scratch.thresholdsOffset, scratch.hitsOffset, scratch.hitCountsOffset];
}
