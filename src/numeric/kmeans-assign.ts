/**
 * Nearest-centre assignment, the inner loop of every k-means step. Distances are the exact
 * Σ (x - c)² in float64 (not the ‖x‖² - 2x·c + ‖c‖² shortcut, which cancels badly for points
 * near a centre); centres are visited four at a time so each row value is loaded once per
 * four distances. Ties go to the lower centre index, as numpy's argmin does.
 */

export interface PointSet {
  /** row-major float32, `cols` values per row */
  readonly data: Float32Array;
  readonly cols: number;
  /** rows of `data` to use, in order; the first `count` rows when absent */
  readonly rowIndex?: Int32Array;
  readonly count: number;
}

/** Writes each point's nearest centre into `labels` (length >= count); returns the inertia Σ min dist². */
export function assignNearest(points: PointSet, centres: Float64Array, k: number, labels: Int32Array): number {
  const { data, cols, rowIndex, count } = points;
  let inertia = 0;
  for (let s = 0; s < count; s++) {
    const base = (rowIndex === undefined ? s : rowIndex[s]!) * cols;
    let best = Infinity;
    let bestLabel = 0;
    let c = 0;
    for (; c + 4 <= k; c += 4) {
      const c0 = c * cols;
      const c1 = c0 + cols;
      const c2 = c1 + cols;
      const c3 = c2 + cols;
      let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
      for (let j = 0; j < cols; j++) {
        const x = data[base + j]!;
        const e0 = x - centres[c0 + j]!;
        const e1 = x - centres[c1 + j]!;
        const e2 = x - centres[c2 + j]!;
        const e3 = x - centres[c3 + j]!;
        d0 += e0 * e0; d1 += e1 * e1; d2 += e2 * e2; d3 += e3 * e3;
      }
      if (d0 < best) { best = d0; bestLabel = c; }
      if (d1 < best) { best = d1; bestLabel = c + 1; }
      if (d2 < best) { best = d2; bestLabel = c + 2; }
      if (d3 < best) { best = d3; bestLabel = c + 3; }
    }
    for (; c < k; c++) {
      const d = squaredDistance(data, base, centres, c * cols, cols);
      if (d < best) { best = d; bestLabel = c; }
    }
    labels[s] = bestLabel;
    inertia += best;
  }
  return inertia;
}

/** Σ_j (a[aStart + j] - b[bStart + j])² in float64. */
export function squaredDistance(
  a: Float32Array | Float64Array,
  aStart: number,
  b: Float32Array | Float64Array,
  bStart: number,
  cols: number,
): number {
  let d = 0;
  for (let j = 0; j < cols; j++) {
    const e = a[aStart + j]! - b[bStart + j]!;
    d += e * e;
  }
  return d;
}
