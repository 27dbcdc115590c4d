import { InputError } from "../core/errors.ts";
import { wasm, type WasmMemory } from "./wasm-api.ts";
import type { PruneProjection } from "./prune-fit.ts";
import { paddedCodeLength, quantizeRow, roundUpToFloat32, type RowCodeStats } from "./quantize.ts";
/** What to do about features that are not finite (a bad wiring, or a cache edited by hand). */
export const NONFINITE_HINT =
  "exact KNN needs finite features: wire this input to standardize.features (it imputes NaN); if it is, run `pipeline cache verify`";

/**
 * Where everything lives in the one shared WebAssembly memory that every kNN worker imports:
 *
 *   [ data rows, zero-padded to a stride of dp floats ][ f32 squared norms, one per row ]
 *   [ int16 codes of the rows, dpi per row ][ f32 scales ][ f32 code error norms ] (codes only)
 *   [ group 0 ids (even count) ][ their code rows' byte addresses (codes only) ][ group 1 ... ] ...
 *   [ worker 0 scratch ][ worker 1 scratch ] ...
 *
 * The main thread fills all but the scratch once; each worker only writes its own scratch.
 */

/**
 * Queries per block: each reference tile is fetched from memory once per block, then read from
 * L2 by every quad of it. 128 searched the demo's host split 3.5 % faster than 64; 256 no faster.
 */
export const QUERY_BLOCK = 128;
/** Queries whose prune bounds are held at once (prune-block.ts): the bounds scratch is this x the largest group. */
export const PRUNE_QUERIES = 64;
/** References per kernel call: 512 padded 230-D rows (~475 KB) stay in L2; 512 measured best of 128..1024. */
export const REF_TILE = 512;
const PAGE = 65536;
const MAX_PAGES = 65536;

export interface GroupLayout {
  /** byte offset of the group's row ids (Int32, padded to an even count by repeating the last) */
  idsOffset: number;
  /** byte offset of the byte addresses of those rows' int16 codes, in the same order (codes only) */
  codeRowsOffset: number;
  length: number;
  /** max over the group's rows of the squared norm (float64), for the float32 error bound */
  maxNorm: number;
  /** max over the group's rows of |x - mu|^2 (prune projection only; 0 without it) */
  maxCenteredNorm: number;
  /** max over the group's rows of the int16 codes' error norm |x - s·A| (0 without codes) */
  maxCodeError: number;
}

/** Where the int16 codes of the rows (quantize.ts) sit, when the search uses them. */
export interface CodesLayout {
  /** int16 codes per row, a multiple of 8 */
  dpi: number;
  offset: number;
  /** float32 scale s per row */
  scalesOffset: number;
  /** float32 |x - s·A| per row, rounded up */
  errorsOffset: number;
}

/** Where the prune projection (prune-fit.ts) sits, when the search has one. */
export interface ProjectionLayout {
  rank: number;
  /** floats per projected row, a multiple of 4 */
  pdp: number;
  /** rows x pdp float32 projected rows (rank coordinates + residual norm) */
  offset: number;
  /** float32 squared norms of the projected rows, the kernel's |y|^2 input */
  normsOffset: number;
  /** float32 |x - mu|^2 per row, rounded up, for the per-row error margin */
  centeredNormsOffset: number;
  /** bound error budget per unit of |q - mu|^2 + |x - mu|^2 */
  coef: number;
}

export interface ScratchLayout {
  /** Int32 query ids, QUERY_BLOCK of them */
  qidsOffset: number;
  /** Float32 kernel output, QUERY_BLOCK x REF_TILE */
  outOffset: number;
  /** Float32 admission threshold per query slot of the block (the kernel's filter) */
  thresholdsOffset: number;
  /** Int32 kernel hits: per quad of queries, the tile columns where one of its values passed */
  hitsOffset: number;
  /** Int32 hit count per quad */
  hitCountsOffset: number;
  /** outside query vectors (KnnIndex.search), QUERY_BLOCK rows of dp floats */
  stageOffset: number;
  /** their Float32 squared norms */
  stageNormsOffset: number;
  /** Float32 lower bounds of PRUNE_QUERIES queries vs a whole group, tile after tile (prune only) */
  boundsOffset: number;
  /** int16 codes, scales and error norms of the staged vectors (codes only) */
  stageCodesOffset: number;
  stageScalesOffset: number;
  stageErrorsOffset: number;
  /** the block's query codes as the int16 kernel reads them: by quad, interleaved (codes only) */
  quadCodesOffset: number;
}

export interface MemoryLayout {
  rows: number;
  dims: number;
  /** padded row length in floats, a multiple of 4 */
  dp: number;
  dataOffset: number;
  normsOffset: number;
  groups: GroupLayout[];
  scratch: ScratchLayout[];
  projection?: ProjectionLayout;
  codes?: CodesLayout;
  bytes: number;
}

/** What planLayout needs to know of a projection: its shape and error budget. */
export interface ProjectionShape {
  rank: number;
  pdp: number;
  coef: number;
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

export function planLayout(
  rows: number,
  dims: number,
  groupLengths: readonly number[],
  workers: number,
  shape?: ProjectionShape,
  withCodes = false,
): MemoryLayout {
  const dp = Math.ceil(dims / 4) * 4;
  let at = 0;
  const take = (bytes: number): number => {
    const offset = at;
    at += align16(bytes);
    return offset;
  };
  const dataOffset = take(rows * dp * 4);
  const normsOffset = take(rows * 4);
  const dpi = paddedCodeLength(dims);
  const codes = withCodes ? { dpi, offset: take(rows * dpi * 2), scalesOffset: take(rows * 4), errorsOffset: take(rows * 4) } : undefined;
  const groups = groupLengths.map((length) => ({
    idsOffset: take((length + (length % 2)) * 4),
    codeRowsOffset: take(codes ? (length + (length % 2)) * 4 : 0),
    length,
    maxNorm: 0,
    maxCenteredNorm: 0,
    maxCodeError: 0,
  }));
  const projection = shape && {
    rank: shape.rank,
    pdp: shape.pdp,
    coef: shape.coef,
    offset: take(rows * shape.pdp * 4),
    normsOffset: take(rows * 4),
    centeredNormsOffset: take(rows * 4),
  };
  const tiledGroup = Math.ceil(Math.max(0, ...groupLengths) / REF_TILE) * REF_TILE;
  const scratch = Array.from({ length: workers }, () => ({
    qidsOffset: take(QUERY_BLOCK * 4),
    outOffset: take(QUERY_BLOCK * REF_TILE * 4),
    thresholdsOffset: take(QUERY_BLOCK * 4),
    hitsOffset: take((QUERY_BLOCK / 4) * REF_TILE * 4),
    hitCountsOffset: take((QUERY_BLOCK / 4) * 4),
    stageOffset: take(QUERY_BLOCK * dp * 4),
    stageNormsOffset: take(QUERY_BLOCK * 4),
    boundsOffset: take(projection ? PRUNE_QUERIES * tiledGroup * 4 : 0),
    stageCodesOffset: take(codes ? QUERY_BLOCK * dpi * 2 : 0),
    stageScalesOffset: take(codes ? QUERY_BLOCK * 4 : 0),
    stageErrorsOffset: take(codes ? QUERY_BLOCK * 4 : 0),
    quadCodesOffset: take(codes ? QUERY_BLOCK * dpi * 2 : 0),
  }));
  if (at > MAX_PAGES * PAGE) throw new RangeError(`knn: ${rows} rows x ${dims} dims do not fit in 4 GiB of wasm memory`);
  return {
    rows,
    dims,
    dp,
    dataOffset,
    normsOffset,
    groups,
    scratch,
    ...(projection && { projection }),
    ...(codes && { codes }),
    bytes: at,
  };
}

/** float64 sum of squares of a float32 vector, in j order. */
export function squaredNorm(values: Float32Array, offset: number, dims: number): number {
  let sum = 0;
  for (let j = 0; j < dims; j++) sum += values[offset + j]! * values[offset + j]!;
  return sum;
}

/**
 * Allocates the shared memory and copies the matrix (padded), its norms, its int16 codes (with
 * `withCodes`) and the group ids in. With `rowIds`, only those rows of `data` are copied, row r
 * of the memory being data row rowIds[r] (evaluate's index holds its train rows without a
 * gathered copy of them first). Throws an InputError on a non-finite value, naming the row of
 * `data`: the error bounds need finite inputs.
 */
export function fillSharedMemory(
  data: Float32Array,
  dims: number,
  groups: readonly Int32Array[],
  workers: number,
  projection?: PruneProjection,
  withCodes = false,
  rowIds?: Int32Array,
): { memory: WasmMemory; layout: MemoryLayout } {
  const rows = rowIds ? rowIds.length : data.length / dims;
  const sourceOf = (row: number): number => (rowIds ? rowIds[row]! : row);
  const layout = planLayout(
    rows,
    dims,
    groups.map((g) => g.length),
    workers,
    projection,
    withCodes,
  );
  const pages = Math.max(1, Math.ceil(layout.bytes / PAGE));
  const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  const f32 = new Float32Array(memory.buffer);
  const norms = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    const at = sourceOf(row) * dims;
    f32.set(data.subarray(at, at + dims), layout.dataOffset / 4 + row * layout.dp);
    norms[row] = squaredNorm(data, at, dims);
    if (!Number.isFinite(norms[row]!)) {
      throw new InputError(`knn: features row ${sourceOf(row)} holds a NaN or infinite value`, NONFINITE_HINT);
    }
  }
  f32.set(norms, layout.normsOffset / 4);
  const codeErrors = layout.codes ? writeCodes(memory, layout.codes, data, dims, rows, sourceOf) : undefined;
  groups.forEach((ids, g) =>
    writeGroup(memory, layout.groups[g]!, ids, norms, rows, layout.codes && codeErrors && { place: layout.codes, errors: codeErrors }),
  );
  if (projection && layout.projection) writeProjection(memory, layout.projection, projection, groups, layout.groups);
  return { memory, layout };
}

function writeProjection(
  memory: WasmMemory,
  place: ProjectionLayout,
  projection: PruneProjection,
  groups: readonly Int32Array[],
  groupLayouts: GroupLayout[],
): void {
  const { pdp, coords, centeredNorms } = projection;
  const rows = centeredNorms.length;
  new Float32Array(memory.buffer, place.offset, rows * pdp).set(coords);
  const norms = new Float32Array(memory.buffer, place.normsOffset, rows);
  for (let row = 0; row < rows; row++) norms[row] = squaredNorm(coords, row * pdp, pdp);
  // rounded up one float32 step, so the stored value never understates the margin
  const centered = new Float32Array(memory.buffer, place.centeredNormsOffset, rows);
  for (let row = 0; row < rows; row++) centered[row] = centeredNorms[row]! * (1 + 2 ** -22);
  groups.forEach((ids, g) => {
    for (const row of ids) groupLayouts[g]!.maxCenteredNorm = Math.max(groupLayouts[g]!.maxCenteredNorm, centeredNorms[row]!);
  });
}

/** Codes every row (quantize.ts), row r from data row sourceOf(r); returns the error norms for the groups' maxima. */
function writeCodes(
  memory: WasmMemory,
  place: CodesLayout,
  data: Float32Array,
  dims: number,
  rows: number,
  sourceOf: (row: number) => number,
): Float32Array {
  const codes = new Int16Array(memory.buffer, place.offset, rows * place.dpi);
  const scales = new Float32Array(memory.buffer, place.scalesOffset, rows);
  const errors = new Float32Array(memory.buffer, place.errorsOffset, rows);
  const stats: RowCodeStats = { scale: 0, errorNorm: 0 };
  for (let row = 0; row < rows; row++) {
    quantizeRow(data, sourceOf(row) * dims, dims, codes, row * place.dpi, place.dpi, stats);
    scales[row] = stats.scale;
    errors[row] = roundUpToFloat32(stats.errorNorm);
  }
  return errors;
}

function writeGroup(
  memory: WasmMemory,
  group: GroupLayout,
  ids: Int32Array,
  norms: Float64Array,
  rows: number,
  codes?: { place: CodesLayout; errors: Float32Array },
): void {
  const target = new Int32Array(memory.buffer, group.idsOffset, ids.length + (ids.length % 2));
  target.set(ids);
  if (ids.length % 2 === 1) target[ids.length] = ids[ids.length - 1]!;
  for (const row of ids) {
    if (row < 0 || row >= rows) throw new RangeError(`knn: reference row id ${row} is outside 0..${rows - 1}`);
    group.maxNorm = Math.max(group.maxNorm, norms[row]!);
    if (codes) group.maxCodeError = Math.max(group.maxCodeError, codes.errors[row]!);
  }
  if (codes) {
    const addresses = new Int32Array(memory.buffer, group.codeRowsOffset, target.length);
    target.forEach((row, i) => (addresses[i] = codes.place.offset + row * codes.place.dpi * 2));
  }
}
