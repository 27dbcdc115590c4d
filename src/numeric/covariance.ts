/**
 * Scatter matrices Σ (x - c)(x - c)ᵀ over selected rows of a row-major float32 matrix, with
 * float64 accumulation. This is the O(n·d²) part of PCA and LDA, so it is cache- and
 * register-blocked: rows are copied (centred, as float64) into a column-major tile of
 * TILE_ROWS rows, and each 2 × 4 block of the output is accumulated in 8 locals over the tile.
 * The summation order depends only on the row order, so results are reproducible.
 */

const TILE_ROWS = 128;

export interface ScatterInput {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** rows to include, in this order (all rows when absent) */
  readonly rowIndex?: Int32Array;
}

/** Mean of each column over the selected rows, in float64. */
export function columnMeans(input: ScatterInput): Float64Array {
  const { data, cols } = input;
  const count = selectedCount(input);
  const means = new Float64Array(cols);
  for (let s = 0; s < count; s++) {
    const base = rowAt(input, s) * cols;
    for (let j = 0; j < cols; j++) means[j]! += data[base + j]!;
  }
  for (let j = 0; j < cols; j++) means[j]! /= count;
  return means;
}

/**
 * d × d symmetric Σ_r (x_r - centre(r))(x_r - centre(r))ᵀ, row-major Float64Array.
 * `centres` holds g centre rows (g × cols); `group[s]` picks the centre of the s-th selected
 * row (group 0 for every row when absent). PCA passes the mean; LDA the class means.
 */
export function scatterMatrix(input: ScatterInput, centres: Float64Array, group?: Int32Array): Float64Array {
  const { cols } = input;
  const padded = (cols + 3) & ~3;
  const tile = new Float64Array(TILE_ROWS * padded); // padding columns stay zero
  const acc = new Float64Array(padded * padded);
  const count = selectedCount(input);
  for (let start = 0; start < count; start += TILE_ROWS) {
    const height = Math.min(TILE_ROWS, count - start);
    fillTile(input, centres, group, start, height, tile);
    accumulateTile(tile, height, padded, acc);
  }
  return symmetricFromUpper(acc, padded, cols);
}

function fillTile(
  input: ScatterInput,
  centres: Float64Array,
  group: Int32Array | undefined,
  start: number,
  height: number,
  tile: Float64Array,
): void {
  const { data, cols } = input;
  for (let t = 0; t < height; t++) {
    const s = start + t;
    const base = rowAt(input, s) * cols;
    const centre = (group === undefined ? 0 : group[s]!) * cols;
    for (let j = 0; j < cols; j++) tile[j * TILE_ROWS + t] = data[base + j]! - centres[centre + j]!;
  }
}

/** acc[i][j] += Σ_t tile[i][t]·tile[j][t] for the upper 2 × 4 blocks (some spill below the diagonal). */
function accumulateTile(tile: Float64Array, height: number, padded: number, acc: Float64Array): void {
  for (let i = 0; i < padded; i += 2) {
    const a0 = i * TILE_ROWS;
    const a1 = a0 + TILE_ROWS;
    for (let j = i & ~3; j < padded; j += 4) {
      const b0 = j * TILE_ROWS;
      const b1 = b0 + TILE_ROWS;
      const b2 = b1 + TILE_ROWS;
      const b3 = b2 + TILE_ROWS;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let t = 0; t < height; t++) {
        const x0 = tile[a0 + t]!;
        const x1 = tile[a1 + t]!;
        const y0 = tile[b0 + t]!;
        const y1 = tile[b1 + t]!;
        const y2 = tile[b2 + t]!;
        const y3 = tile[b3 + t]!;
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
      }
      const r0 = i * padded + j;
      const r1 = r0 + padded;
      acc[r0]! += s00; acc[r0 + 1]! += s01; acc[r0 + 2]! += s02; acc[r0 + 3]! += s03;
      acc[r1]! += s10; acc[r1 + 1]! += s11; acc[r1 + 2]! += s12; acc[r1 + 3]! += s13;
    }
  }
}

function symmetricFromUpper(acc: Float64Array, padded: number, cols: number): Float64Array {
  const out = new Float64Array(cols * cols);
  for (let i = 0; i < cols; i++) {
    for (let j = i; j < cols; j++) {
      const v = acc[i * padded + j]!;
      out[i * cols + j] = v;
      out[j * cols + i] = v;
    }
  }
  return out;
}

function selectedCount(input: ScatterInput): number {
  return input.rowIndex === undefined ? input.rows : input.rowIndex.length;
}

function rowAt(input: ScatterInput, s: number): number {
  return input.rowIndex === undefined ? s : input.rowIndex[s]!;
}
