/**
 * An affine map to a few axes: y = (x - offset) · axes[k], as a fitted PCA or LDA applies it.
 * `axes` is row-major (outDims × cols); axes beyond the fitted ones are zero rows.
 */
export interface LinearMap {
  readonly cols: number;
  readonly outDims: number;
  readonly offset: Float64Array;
  readonly axes: Float64Array;
}

/** Applies `map` to every row of a row-major float32 matrix; returns rows × outDims float32. */
export function applyLinearMap(data: Float32Array, rows: number, map: LinearMap): Float32Array {
  const { cols, outDims, offset, axes } = map;
  if (data.length !== rows * cols) throw new RangeError(`matrix has ${data.length} values, expected ${rows} x ${cols}`);
  // fold the offset into a per-axis constant so the inner loop is a plain dot product
  const bias = new Float64Array(outDims);
  for (let k = 0; k < outDims; k++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += offset[j]! * axes[k * cols + j]!;
    bias[k] = s;
  }
  const out = new Float32Array(rows * outDims);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let k = 0; k < outDims; k++) {
      const a = k * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += data[base + j]! * axes[a + j]!;
      out[r * outDims + k] = s - bias[k]!;
    }
  }
  return out;
}
