/**
 * Per-axis rescale to [0, 1] by the min/max of the fit rows, as the seed does: lo/hi come
 * from the fit rows' coordinates only, span = max(hi - lo, 1e-6), and every row is clipped.
 */
export const MIN_SPAN = 1e-6;

export interface AxisRange {
  readonly lo: number[];
  readonly span: number[];
}

/** min and span of each of the `dims` axes over the rows `fitRows` of row-major `coords`. */
export function fitRange(coords: Float32Array, dims: number, fitRows: Int32Array): AxisRange {
  const lo: number[] = [];
  const span: number[] = [];
  for (let k = 0; k < dims; k++) {
    let min = Infinity;
    let max = -Infinity;
    for (const r of fitRows) {
      const v = coords[r * dims + k]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (fitRows.length === 0) min = max = 0;
    lo.push(min);
    span.push(Math.max(max - min, MIN_SPAN));
  }
  return { lo, span };
}

/** A new row-major array with each axis mapped to (v - lo) / span and clipped to [0, 1]. */
export function rescaleClip(coords: Float32Array, dims: number, range: AxisRange): Float32Array {
  const out = new Float32Array(coords.length);
  for (let i = 0; i < coords.length; i++) {
    const k = i % dims;
    const v = (coords[i]! - range.lo[k]!) / range.span[k]!;
    // NaN (never expected) would fail both tests; map it to 0 rather than leak it downstream
    out[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return out;
}
