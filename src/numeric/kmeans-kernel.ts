import { wasmPath } from "../core/paths.ts";
import { reserveKernel, type KernelMemory } from "./wasm-kernel.ts";

/**
 * The JavaScript side of kmeans-kernel.wat: float32 distances of points to a few centres, and
 * float64 per-centre sums of a batch. Points are copied into the kernel's memory a block at a
 * time (gathered through `rowIndex` when given), with each row zero-padded to a multiple of 4
 * floats, so the memory stays a few MiB whatever the data size. One instance per thread, made
 * on first use, serves every call; calls must not nest (a visitor must not call back in here).
 */

export interface PointSet {
  /** row-major float32, `cols` values per row */
  readonly data: Float32Array;
  readonly cols: number;
  /** rows of `data` to use, in order; the first `count` rows when absent */
  readonly rowIndex?: Int32Array;
  readonly count: number;
}

/** Points stored one after another: point i is row i of `data`. */
export type PackedPoints = PointSet & { readonly rowIndex?: undefined };

/**
 * Called once per block with the float32 distances of points first … first+count-1:
 * point first+i to centre c is `distances[i * width + c]` (width >= k; columns past k are padding).
 */
export type DistanceVisitor = (first: number, count: number, distances: Float32Array, width: number) => void;

/** About 1 MiB of points per block, so a block and its centres stay in cache. */
const BLOCK_BYTES = 1 << 20;

interface KernelExports extends KernelMemory {
  sq_dists(rows: number, n: number, centres: number, k: number, strideBytes: number, out: number): void;
  add_rows(rows: number, n: number, labels: number, sums: number, strideBytes: number): void;
}

/**
 * Streams every point of `points` through the kernel against the k × cols row-major `centres`
 * (rounded to float32) and hands each block of distances to `visit`, in point order.
 */
export function streamSquaredDistances(points: PointSet, centres: Float32Array | Float64Array, k: number, visit: DistanceVisitor): void {
  const { cols, count } = points;
  const { stride, blockRows } = blockShape(cols);
  const width = Math.ceil(k / 4) * 4;
  const at = { centres: blockRows * stride * 4, out: (blockRows + width) * stride * 4 };
  const { memory, sq_dists } = reserve(at.out + blockRows * width * 4);
  const floats = new Float32Array(memory.buffer, 0, at.out / 4);
  const out = new Float32Array(memory.buffer, at.out, blockRows * width);
  floats.fill(0); // padding columns and padding centres then add nothing
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < cols; j++) floats[at.centres / 4 + c * stride + j] = centres[c * cols + j]!;
  }
  for (let first = 0; first < count; first += blockRows) {
    const n = Math.min(blockRows, count - first);
    stageRows(floats, points, stride, first, n);
    sq_dists(0, n + (n & 1), at.centres, width, stride * 4, at.out);
    visit(first, n, out, width);
  }
}

/**
 * Σ of the points with each label, k × cols float64: the sums a scalar loop over the points
 * in order would give, bit for bit. `labels[i]` (in [0, k)) is point i's centre.
 */
export function sumRowsByLabel(points: PointSet, labels: Int32Array, k: number): Float64Array {
  const { cols, count } = points;
  const { stride, blockRows } = blockShape(cols);
  const at = { labels: blockRows * stride * 4, sums: blockRows * (stride + 1) * 4 };
  const { memory, add_rows } = reserve(at.sums + k * stride * 8);
  const floats = new Float32Array(memory.buffer, 0, at.labels / 4);
  const blockLabels = new Int32Array(memory.buffer, at.labels, blockRows);
  const sums = new Float64Array(memory.buffer, at.sums, k * stride);
  floats.fill(0);
  sums.fill(0);
  for (let first = 0; first < count; first += blockRows) {
    const n = Math.min(blockRows, count - first);
    stageRows(floats, points, stride, first, n);
    blockLabels.set(labels.subarray(first, first + n));
    add_rows(0, n, at.labels, at.sums, stride * 4);
  }
  const out = new Float64Array(k * cols);
  for (let c = 0; c < k; c++) out.set(sums.subarray(c * stride, c * stride + cols), c * cols);
  return out;
}

/**
 * The points as one contiguous row-major array (the front of `buffer`), for a point set that is
 * read more than once: random rows cost a cache and TLB miss each, a packed copy does not.
 * Callers that pack again and again pass the same buffer, since fresh pages are slow too.
 */
export function compactPoints(points: PointSet, buffer?: Float32Array): PackedPoints {
  const { data, cols, rowIndex, count } = points;
  if (rowIndex === undefined) return { data, cols, count };
  const out = buffer?.subarray(0, count * cols) ?? new Float32Array(count * cols);
  forEachRun(rowIndex, 0, count, (i, r, length) => out.set(data.subarray(r * cols, (r + length) * cols), i * cols));
  return { data: out, cols, count };
}

/** Floats per padded row, and rows per block (even, as sq_dists needs). */
function blockShape(cols: number): { stride: number; blockRows: number } {
  const stride = Math.ceil(cols / 4) * 4;
  return { stride, blockRows: Math.max(2, Math.min(1024, Math.floor(BLOCK_BYTES / (stride * 4)) & ~1)) };
}

function reserve(bytes: number): KernelExports {
  return reserveKernel<KernelExports>(wasmPath("kmeans-kernel"), bytes);
}

/** Copies points first … first+n-1 into block rows 0 … n-1, `stride` floats apart. */
function stageRows(floats: Float32Array, points: PointSet, stride: number, first: number, n: number): void {
  const { data, cols, rowIndex } = points;
  const copyRows = (i: number, r: number, length: number) => {
    if (stride === cols) floats.set(data.subarray(r * cols, (r + length) * cols), i * cols);
    else for (let e = 0; e < length; e++) floats.set(data.subarray((r + e) * cols, (r + e + 1) * cols), (i + e) * stride);
  };
  if (rowIndex === undefined) copyRows(0, first, n);
  else forEachRun(rowIndex, first, n, copyRows);
}

/**
 * Splits rowIndex[first … first+n-1] into runs of consecutive row ids: visit(i, row, length) says
 * points first+i … first+i+length-1 are rows row … row+length-1. A sorted sample is mostly runs,
 * and one copy per run instead of per row makes its gather about a third faster.
 */
function forEachRun(rowIndex: Int32Array, first: number, n: number, visit: (i: number, row: number, length: number) => void): void {
  let i = 0;
  while (i < n) {
    const row = rowIndex[first + i]!;
    let length = 1;
    while (i + length < n && rowIndex[first + i + length] === row + length) length++;
    visit(i, row, length);
    i += length;
  }
}
