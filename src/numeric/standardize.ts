import { floatSortKey, medianOfSortKeys } from "./median.ts";

/** Columns whose population std is at or below this are dropped (as the seed does). */
export const MIN_STD = 1e-6;

export interface ColumnStats {
  /** per input column: median of the non-NaN values (0 for an all-NaN column), as float32 */
  readonly medians: Float64Array;
  /** per input column: mean after NaN → median, computed in float64 */
  readonly means: Float64Array;
  /** per input column: population std (ddof 0) after NaN → median, computed in float64 */
  readonly stds: Float64Array;
}

export interface StandardizeResult extends ColumnStats {
  /** n × kept.length, row-major float32 z-scores */
  readonly data: Float32Array;
  /** indices of the input columns that were kept, ascending */
  readonly kept: Int32Array;
  /** indices of the input columns dropped for std <= MIN_STD (constant, all-NaN or non-finite) */
  readonly dropped: Int32Array;
}

/** Columns are gathered 16 at a time: one 64-byte cache line of each float32 row. */
export const COLUMN_BLOCK = 16;

/**
 * Per column median, mean and population std of a row-major float32 matrix whose NaNs stand
 * for missing values (replaced by the column median before mean and std are taken).
 */
function columnStats(data: Float32Array, rows: number, cols: number): ColumnStats {
  const stats = { medians: new Float64Array(cols), means: new Float64Array(cols), stds: new Float64Array(cols) };
  columnRangeStats(data, rows, cols, 0, cols, stats, createStatsScratch(rows));
  return stats;
}

/** Reusable working memory of `columnRangeStats` for matrices of `rows` rows. */
export interface StatsScratch {
  readonly block: Float32Array;
  readonly blockBits: Uint32Array;
  readonly keys: Uint32Array;
  readonly scratch: Uint32Array;
}

export function createStatsScratch(rows: number): StatsScratch {
  const block = new Float32Array(COLUMN_BLOCK * rows);
  return { block, blockBits: new Uint32Array(block.buffer), keys: new Uint32Array(rows), scratch: new Uint32Array(rows) };
}

/**
 * `columnStats` of columns [first, end) only, written into `into` at their own indices. Each
 * column's numbers depend on that column alone, so any split of the columns gives the same bytes.
 */
export function columnRangeStats(
  data: Float32Array,
  rows: number,
  cols: number,
  first: number,
  end: number,
  into: ColumnStats,
  work: StatsScratch,
): void {
  const { block, blockBits, keys, scratch } = work;
  for (let start = first; start < end; start += COLUMN_BLOCK) {
    const width = Math.min(COLUMN_BLOCK, end - start);
    gatherColumns(data, rows, cols, start, width, block);
    for (let c = 0; c < width; c++) {
      const column = block.subarray(c * rows, (c + 1) * rows);
      const bits = blockBits.subarray(c * rows, (c + 1) * rows);
      const stats = oneColumnStats(column, bits, keys, scratch);
      into.medians[start + c] = stats.median;
      into.means[start + c] = stats.mean;
      into.stds[start + c] = stats.std;
    }
  }
}

/**
 * The seed's `_standardize`: NaN → column median, z-score with the population std, drop the
 * columns whose std <= 1e-6. Arithmetic is float64; the result is rounded once to float32.
 */
export function standardize(data: Float32Array, rows: number, cols: number): StandardizeResult {
  const stats = columnStats(data, rows, cols);
  const { kept, dropped } = splitByStd(stats.stds);
  const out = applyStandardize(data, rows, cols, kept, stats);
  return { ...stats, data: out, kept, dropped };
}

/** The columns kept (std > MIN_STD) and dropped, both ascending. */
export function splitByStd(stds: Float64Array): { kept: Int32Array; dropped: Int32Array } {
  const kept: number[] = [];
  const dropped: number[] = [];
  for (let c = 0; c < stds.length; c++) {
    // `!(x > MIN_STD)` also drops a NaN std (a column holding an infinity)
    if (stds[c]! > MIN_STD) kept.push(c);
    else dropped.push(c);
  }
  return { kept: Int32Array.from(kept), dropped: Int32Array.from(dropped) };
}

/** z-scores of the `kept` columns, NaN → median first; row-major n × kept.length float32. */
function applyStandardize(data: Float32Array, rows: number, cols: number, kept: Int32Array, stats: ColumnStats): Float32Array {
  const out = new Float32Array(rows * kept.length);
  applyRows(data, cols, zScorePlan(kept, stats), 0, rows, out);
  return out;
}

/** What each output value needs of its input column: where it is, its median, mean and 1/std. */
export interface ZScorePlan {
  readonly kept: Int32Array;
  readonly medians: Float64Array;
  readonly means: Float64Array;
  readonly inverseStds: Float64Array;
}

export function zScorePlan(kept: Int32Array, stats: ColumnStats): ZScorePlan {
  return {
    kept,
    medians: Float64Array.from(kept, (c) => stats.medians[c]!),
    means: Float64Array.from(kept, (c) => stats.means[c]!),
    // a product with the float64 reciprocal differs from the quotient by at most 1 float64 ulp,
    // far below the float32 rounding that follows
    inverseStds: Float64Array.from(kept, (c) => 1 / stats.stds[c]!),
  };
}

/** Rows [first, end) of `applyStandardize`, written into `out` (n × kept.length) in place. */
export function applyRows(data: Float32Array, cols: number, plan: ZScorePlan, first: number, end: number, out: Float32Array): void {
  const { kept, medians: med, means: mean, inverseStds: inverse } = plan;
  const width = kept.length;
  for (let r = first; r < end; r++) {
    const src = r * cols;
    const dst = r * width;
    for (let j = 0; j < width; j++) {
      let v = data[src + kept[j]!]!;
      // biome-ignore lint/suspicious/noSelfCompare: NaN test in a hot loop, no call
      if (v !== v) v = med[j]!;
      out[dst + j] = (v - mean[j]!) * inverse[j]!;
    }
  }
}

function gatherColumns(data: Float32Array, rows: number, cols: number, first: number, width: number, block: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols + first;
    for (let c = 0; c < width; c++) block[c * rows + r] = data[base + c]!;
  }
}

function oneColumnStats(
  column: Float32Array,
  bits: Uint32Array,
  keys: Uint32Array,
  scratch: Uint32Array,
): { median: number; mean: number; std: number } {
  const rows = column.length;
  let present = 0;
  let presentSum = 0;
  for (let r = 0; r < rows; r++) {
    const v = column[r]!;
    // biome-ignore lint/suspicious/noSelfCompare: NaN test in a hot loop, no call
    if (v === v) {
      keys[present++] = floatSortKey(bits[r]!);
      presentSum += v;
    }
  }
  // the seed stores the median as float32 before imputing, so round it the same way
  const median = present === 0 ? 0 : Math.fround(medianOfSortKeys(keys, present, scratch));
  const missing = rows - present;
  const mean = (presentSum + missing * median) / rows;
  // two passes (mean, then squared deviations) as numpy does: no cancellation from E[x²]-E[x]²
  const dm = median - mean;
  let squares = missing * dm * dm;
  for (let r = 0; r < rows; r++) {
    const v = column[r]!;
    // biome-ignore lint/suspicious/noSelfCompare: NaN test in a hot loop, no call
    if (v === v) {
      const d = v - mean;
      squares += d * d;
    }
  }
  return { median, mean, std: Math.sqrt(squares / rows) };
}
