import { medianInPlace } from "./select.ts";

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
const COLUMN_BLOCK = 16;

/**
 * Per column median, mean and population std of a row-major float32 matrix whose NaNs stand
 * for missing values (replaced by the column median before mean and std are taken).
 */
export function columnStats(data: Float32Array, rows: number, cols: number): ColumnStats {
  const medians = new Float64Array(cols);
  const means = new Float64Array(cols);
  const stds = new Float64Array(cols);
  const block = new Float32Array(COLUMN_BLOCK * rows);
  const scratch = new Float32Array(rows);
  for (let first = 0; first < cols; first += COLUMN_BLOCK) {
    const width = Math.min(COLUMN_BLOCK, cols - first);
    gatherColumns(data, rows, cols, first, width, block);
    for (let c = 0; c < width; c++) {
      const column = block.subarray(c * rows, (c + 1) * rows);
      const stats = oneColumnStats(column, scratch);
      medians[first + c] = stats.median;
      means[first + c] = stats.mean;
      stds[first + c] = stats.std;
    }
  }
  return { medians, means, stds };
}

/**
 * The seed's `_standardize`: NaN → column median, z-score with the population std, drop the
 * columns whose std <= 1e-6. Arithmetic is float64; the result is rounded once to float32.
 */
export function standardize(data: Float32Array, rows: number, cols: number): StandardizeResult {
  const stats = columnStats(data, rows, cols);
  const keptList: number[] = [];
  const droppedList: number[] = [];
  for (let c = 0; c < cols; c++) {
    // `!(x > MIN_STD)` also drops a NaN std (a column holding an infinity)
    if (stats.stds[c]! > MIN_STD) keptList.push(c);
    else droppedList.push(c);
  }
  const kept = Int32Array.from(keptList);
  const out = applyStandardize(data, rows, cols, kept, stats);
  return { ...stats, data: out, kept, dropped: Int32Array.from(droppedList) };
}

/** z-scores of the `kept` columns, NaN → median first; row-major n × kept.length float32. */
export function applyStandardize(
  data: Float32Array,
  rows: number,
  cols: number,
  kept: Int32Array,
  stats: ColumnStats,
): Float32Array {
  const width = kept.length;
  const med = Float64Array.from(kept, (c) => stats.medians[c]!);
  const mean = Float64Array.from(kept, (c) => stats.means[c]!);
  const std = Float64Array.from(kept, (c) => stats.stds[c]!);
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const src = r * cols;
    const dst = r * width;
    for (let j = 0; j < width; j++) {
      let v = data[src + kept[j]!]!;
      if (v !== v) v = med[j]!;
      out[dst + j] = (v - mean[j]!) / std[j]!;
    }
  }
  return out;
}

function gatherColumns(
  data: Float32Array,
  rows: number,
  cols: number,
  first: number,
  width: number,
  block: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols + first;
    for (let c = 0; c < width; c++) block[c * rows + r] = data[base + c]!;
  }
}

function oneColumnStats(column: Float32Array, scratch: Float32Array): { median: number; mean: number; std: number } {
  const rows = column.length;
  let present = 0;
  for (let r = 0; r < rows; r++) {
    const v = column[r]!;
    if (v === v) scratch[present++] = v;
  }
  // the seed stores the median as float32 before imputing, so round it the same way
  const median = present === 0 ? 0 : Math.fround(medianInPlace(scratch, present));
  const missing = rows - present;
  let sum = missing * median;
  for (let r = 0; r < rows; r++) {
    const v = column[r]!;
    if (v === v) sum += v;
  }
  const mean = sum / rows;
  // two passes (mean, then squared deviations) as numpy does: no cancellation from E[x²]-E[x]²
  const dm = median - mean;
  let squares = missing * dm * dm;
  for (let r = 0; r < rows; r++) {
    const v = column[r]!;
    if (v === v) {
      const d = v - mean;
      squares += d * d;
    }
  }
  return { median, mean, std: Math.sqrt(squares / rows) };
}
