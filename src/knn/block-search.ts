import type { WasmMemory } from "./wasm-api.ts";
import { squaredDistance64, TopList, writeTop } from "./exact.ts";
import type { Float32TileCall, Int16TileCall, KernelFilter, Kernels } from "./kernel-abi.ts";
import { QUERY_BLOCK, REF_TILE, type GroupLayout, type MemoryLayout, type ScratchLayout } from "./layout.ts";
import { roundUpToFloat32 } from "./quantize.ts";
import type { KnnResult } from "./types.ts";

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

/** One block of queries and one reference group, with the memory and kernels that search them. */
export interface BlockSearch {
  kernels: Kernels;
  memory: WasmMemory;
  layout: MemoryLayout;
  /** this worker's scratch */
  scratch: ScratchLayout;
  query: QuerySource;
  group: GroupLayout;
  k: number;
}

/** How often a shortlist could not be proven complete. */
export interface BlockStats {
  /** int16 shortlists finished by an int16 limit pass (the float32 kernel redoes any it drops) */
  codeFallbacks: number;
  /** float32 shortlists finished by finishByLimit */
  fallbacks: number;
}

/**
 * Candidates kept per query, so the exact re-check rarely falls back. A shortlist is proven when
 * its worst value exceeds the k-th distance by more than the kernel's error, and that gap
 * shrinks as the reference set grows denser while the error does not: with k + 10 the demo's
 * host split fell back for 0.2 % of queries at 75k references and 14 % at 300k, each
 * fallback a pass over the whole group for one quad of queries (memory-bound: the tile is not
 * reused by 32 quads), which cost 16 % of the search at 300k. With 2k + 12 none fell back at
 * either size, and the longer lists cost nothing measurable (bench/knn-scaling.ts).
 */
export function shortlistSize(k: number): number {
  return 2 * k + 12;
}

/**
 * Top-k of each query of one block within one group, written to `result` by query slot.
 * Phase 1 ranks every reference by an approximate |q|^2 + |x|^2 - 2 q.x from a wasm kernel and
 * keeps the best shortlistSize(k). Phase 2 recomputes those in float64 (squaredDistance64) and
 * keeps the best k. The result is exact when d_k^2 < T - eps, where T is the worst kept
 * approximate value and eps bounds the approximation's error: every row left out has
 * approximate value >= T, so its true value is >= T - eps > d_k^2. The int16 kernel (twice as
 * fast) serves when the layout has codes, else the float32 one. A query the shortlist cannot
 * prove (ties or near-duplicates at the boundary) is finished by finishByLimit with the same
 * kernel; when the int16 limit admits more than LIMIT_PASS_ROWS rows (a loose error bound), the
 * float32 kernel, whose bound is tighter, redoes it.
 */
export function searchBlock(search: BlockSearch, result: KnnResult): BlockStats {
  const stats: BlockStats = { codeFallbacks: 0, fallbacks: 0 };
  const lists = !kernelsCanTake(search)
    ? scanAll64(search)
    : usesCodes(search)
      ? searchInt16(search, search.query, stats)
      : searchFloat32(search, search.query, stats);
  lists.forEach((list, q) => writeTop(list, result, q, search.k));
  return stats;
}

/**
 * Squared norms above this could overflow float32 inside the kernels (|q|^2 + |x|^2, 2 q.x, the
 * scale product): queries of such size, or groups holding such rows, get the float64 scan.
 */
const MAX_KERNEL_NORM = 2 ** 120;

/** Most rows an int16 limit pass re-checks in float64 for one query before the float32 kernel takes over. */
const LIMIT_PASS_ROWS = 4096;

function queryNorm(search: BlockSearch, query: QuerySource, q: number): number {
  return new Float32Array(search.memory.buffer)[query.normsBase / 4 + query.ids[q]!]!;
}

function kernelsCanTake(search: BlockSearch): boolean {
  const { group, query } = search;
  return !(group.maxNorm > MAX_KERNEL_NORM) && query.ids.every((_, q) => queryNorm(search, query, q) <= MAX_KERNEL_NORM);
}

function usesCodes(search: BlockSearch): boolean {
  return search.layout.codes !== undefined && search.query.codes !== undefined && search.group.length > shortlistSize(search.k);
}

/** The float32 kernel's shortlists; any it cannot prove are finished by a float32 limit pass. */
function searchFloat32(search: BlockSearch, query: QuerySource, stats: BlockStats): TopList[] {
  const errorBound = (q: number): number => float32ErrorBound(queryNorm(search, query, q), search.group, search.layout.dims);
  const { exact, unproven, limits } = shortlistAndRecheck(search, query, float32Tiles(search, query), errorBound);
  if (unproven.length === 0) return exact;
  stats.fallbacks += unproven.length;
  const redo = subsetOf(query, unproven);
  const finished = finishByLimit(search, redo, float32Tiles(search, redo), limits); // no row cap: none is dropped
  finished.forEach((list, i) => (exact[unproven[i]!] = list!));
  return exact;
}

/**
 * The int16 kernel's shortlists; any it cannot prove are finished by an int16 limit pass, and
 * a query that pass drops (its limit admits over LIMIT_PASS_ROWS rows) by searchFloat32.
 */
function searchInt16(search: BlockSearch, query: QuerySource, stats: BlockStats): TopList[] {
  const errorBound = (q: number): number => codesErrorBound(queryNorm(search, query, q), codeErrorNorm(search, query, q), search.group);
  const { exact, unproven, limits } = shortlistAndRecheck(search, query, codeTiles(search, query), errorBound);
  if (unproven.length === 0) return exact;
  stats.codeFallbacks += unproven.length;
  const redo = subsetOf(query, unproven);
  const finished = finishByLimit(search, redo, codeTiles(search, redo), limits, LIMIT_PASS_ROWS);
  const dropped = finished.flatMap((list, i) => (list ? [] : [i]));
  if (dropped.length > 0) searchFloat32(search, subsetOf(redo, dropped), stats).forEach((list, j) => (finished[dropped[j]!] = list));
  finished.forEach((list, i) => (exact[unproven[i]!] = list!));
  return exact;
}

function codeErrorNorm(search: BlockSearch, query: QuerySource, q: number): number {
  return new Float32Array(search.memory.buffer)[query.codes!.errorsBase / 4 + query.ids[q]!]!;
}

/** The same source restricted to query slots `slots` (in that order). */
function subsetOf(query: QuerySource, slots: readonly number[]): QuerySource {
  return { ...query, ids: Int32Array.from(slots, (q) => query.ids[q]!) };
}

/** Shortlists re-checked in float64: exact[q] is final unless q is unproven[i], whose limit for finishByLimit is limits[i]. */
interface Rechecked {
  exact: TopList[];
  unproven: number[];
  limits: number[];
}

/**
 * The shortlist of `kernel` (staged for `query`) re-checked in float64 (errorBound(q) is the
 * kernel's error for query q); the queries it does not prove complete are listed with their limits.
 */
function shortlistAndRecheck(search: BlockSearch, query: QuerySource, kernel: TileKernel, errorBound: (q: number) => number): Rechecked {
  const { group, k } = search;
  const rechecked: Rechecked = { exact: [], unproven: [], limits: [] };
  shortlist(search, query.ids.length, kernel, shortlistSize(k)).forEach((list, q) => {
    const eps = errorBound(q);
    const exact = recheck(search, query, q, list, eps);
    rechecked.exact[q] = exact;
    if (group.length <= list.capacity || provenComplete(exact, list, eps)) return;
    rechecked.unproven.push(q);
    rechecked.limits.push(exact.keys[k - 1]! + eps);
  });
  return rechecked;
}

/** Each query's best `capacity` kernel values, with the rows they belong to. */
function shortlist(search: BlockSearch, count: number, kernel: TileKernel, capacity: number): TopList[] {
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
function finishByLimit(
  search: BlockSearch,
  query: QuerySource,
  kernel: TileKernel,
  limits: readonly number[],
  maxRows = Infinity,
): (TopList | undefined)[] {
  const { layout, k } = search;
  const f32 = new Float32Array(search.memory.buffer);
  const staged = limits.map(roundUpToFloat32); // the kernel compares float32 values
  const exact: (TopList | undefined)[] = limits.map(() => new TopList(k));
  const admitted = limits.map(() => 0);
  eachTile(
    search,
    limits.length,
    kernel,
    (q) => (exact[q] ? staged[q]! : -Infinity),
    (q, value, row) => {
      if (!(value <= staged[q]!) || !exact[q]) return;
      if (++admitted[q]! > maxRows) exact[q] = undefined;
      else exact[q].push(distance64(f32, layout, query.base / 4 + query.ids[q]! * layout.dp, row), row);
    },
  );
  return exact;
}

/** The float64 top-k of every query of the block over the whole group (norms too large for the kernels). */
function scanAll64(search: BlockSearch): TopList[] {
  const { layout, query, group, k } = search;
  const f32 = new Float32Array(search.memory.buffer);
  const rows = new Int32Array(f32.buffer, group.idsOffset, group.length);
  return Array.from(query.ids, (id) => {
    const exact = new TopList(k);
    for (const row of rows) exact.push(distance64(f32, layout, query.base / 4 + id * layout.dp, row), row);
    return exact;
  });
}

/** The float64 top-k of query q from a shortlist whose values are within eps of the float64 distances. */
function recheck(search: BlockSearch, query: QuerySource, q: number, list: TopList, eps: number): TopList {
  const { layout, k } = search;
  const f32 = new Float32Array(search.memory.buffer);
  const queryAt = query.base / 4 + query.ids[q]! * layout.dp;
  const exact = new TopList(k);
  for (let i = 0; i < list.size; i++) {
    // the list ascends: once a value is beyond the k-th exact distance so far by more than the
    // kernel's error, this row and every later one are truly farther, and cannot enter
    if (exact.size === k && list.keys[i]! - eps > exact.keys[k - 1]!) break;
    exact.push(distance64(f32, layout, queryAt, list.ids[i]!), list.ids[i]!);
  }
  return exact;
}

/** The float64 squared distance of the query vector at float index queryAt to data row `row`. */
function distance64(f32: Float32Array, layout: MemoryLayout, queryAt: number, row: number): number {
  return squaredDistance64(f32, queryAt, f32, layout.dataOffset / 4 + row * layout.dp, layout.dims);
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

/** Query ids of one block in scratch, padded to the kernel's 4-query register block; returns the padded count. */
export function stageQueryIds(memory: WasmMemory, scratch: ScratchLayout, ids: Int32Array): number {
  const count = ids.length;
  const padded = Math.ceil(count / 4) * 4;
  const qids = new Int32Array(memory.buffer, scratch.qidsOffset, QUERY_BLOCK);
  qids.set(ids);
  qids.fill(ids[count - 1]!, count, padded);
  return padded;
}

/** One kernel bound to a staged block of queries: tile(start, width) runs it over columns start.. of the group. */
interface TileKernel {
  tile(start: number, width: number): void;
  /** it stores only the values it admits (dist_block_i16; see scanTile) */
  packed: boolean;
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
function eachTile(search: BlockSearch, count: number, kernel: TileKernel, limit: (q: number) => number, accept: Accept): void {
  const { memory, scratch, group } = search;
  const refIds = new Int32Array(memory.buffer, group.idsOffset, group.length + (group.length % 2));
  for (let start = 0, size = FIRST_TILE; start < group.length; start += size, size = Math.min(2 * size, REF_TILE)) {
    const actual = Math.min(size, group.length - start);
    const width = actual + (actual % 2); // the id list's padding supplies the odd tail's partner
    stageThresholds(memory, scratch, count, limit);
    kernel.tile(start, width);
    scanTile({ memory, scratch, out: scratch.outOffset, width, actual, refIds, start, count, packed: kernel.packed }, accept);
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

/** One tile the kernel has just filtered, as scanTile reads it. */
export interface FilteredTile {
  memory: WasmMemory;
  scratch: ScratchLayout;
  /** byte offset of the kernel's values */
  out: number;
  /** columns the kernel ran (even), of which the first `actual` are real */
  width: number;
  actual: number;
  /** the group's row ids; the tile's column r is row refIds[start + r] */
  refIds: Int32Array;
  start: number;
  /** query slots of the block */
  count: number;
  /** the values are stored per admitted column (dist_block_i16), not per column */
  packed: boolean;
}

/**
 * Hands a tile's admitted values to accept. The kernel listed, per quad of queries, the
 * columns where one of the four values was <= its query's threshold, ascending, with the lanes
 * that passed; so each query sees its admitted columns in order, and with shortlist thresholds
 * (a list's worst value, which only falls during the tile) every value a full scan would keep
 * is among them.
 * Values are out[q * width + r] (dist_block), or when `packed` (dist_block_i16, which stores
 * only what it lists) out[4 (m width + n) + q - 4m] for the n-th column listed by quad m.
 */
export function scanTile(tile: FilteredTile, accept: Accept): void {
  const { memory, scratch, width, actual, refIds, start, count, packed } = tile;
  const out = new Float32Array(memory.buffer, tile.out, Math.ceil(count / 4) * 4 * width);
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

/** The kernels' filter buffers in this worker's scratch. */
export function kernelFilter(scratch: ScratchLayout): KernelFilter {
  return { thresholds: scratch.thresholdsOffset, hits: scratch.hitsOffset, hitCounts: scratch.hitCountsOffset };
}

/** dist_block over the data rows, bound to `query` (its ids staged now). */
function float32Tiles(search: BlockSearch, query: QuerySource): TileKernel {
  const { memory, layout, scratch, group, kernels } = search;
  const queries = { base: query.base, norms: query.normsBase, ids: scratch.qidsOffset, count: stageQueryIds(memory, scratch, query.ids) };
  const call = (start: number, width: number): Float32TileCall => ({
    queries,
    references: { base: layout.dataOffset, norms: layout.normsOffset, ids: group.idsOffset + start * 4, count: width },
    rowBytes: layout.dp * 4,
    out: scratch.outOffset,
    filter: kernelFilter(scratch),
  });
  return { packed: false, tile: (start, width) => kernels.float32(call(start, width)) };
}

/** dist_block_i16 over the rows' codes, bound to `query` (its ids and codes staged now). */
function codeTiles(search: BlockSearch, query: QuerySource): TileKernel {
  const { memory, layout, scratch, group, kernels } = search;
  const codes = layout.codes!;
  const padded = stageQueryIds(memory, scratch, query.ids);
  stageQuadCodes(memory, scratch, query.codes!.base, codes.dpi, padded);
  const queries = {
    quadCodes: scratch.quadCodesOffset,
    scales: query.codes!.scalesBase,
    norms: query.normsBase,
    ids: scratch.qidsOffset,
    count: padded,
  };
  const call = (start: number, width: number): Int16TileCall => ({
    queries,
    references: {
      codeRows: group.codeRowsOffset + start * 4,
      scales: codes.scalesOffset,
      norms: layout.normsOffset,
      ids: group.idsOffset + start * 4,
      count: width,
    },
    rowBytes: codes.dpi * 2,
    out: scratch.outOffset,
    filter: kernelFilter(scratch),
  });
  return { packed: true, tile: (start, width) => kernels.int16(call(start, width)) };
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
