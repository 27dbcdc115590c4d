/**
 * Nearest-centre assignment, the inner loop of every k-means step. Distances are the exact
 * Σ (x - c)² in float64 (not the ‖x‖² - 2x·c + ‖c‖² shortcut, which cancels badly for points
 * near a centre); two points and two centres at a time keep four sums in registers. Ties go
 * to the lower centre index, as numpy's argmin does.
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
  const { rowIndex, count, cols } = points;
  const best = new Float64Array(2);
  const bestLabel = new Int32Array(2);
  let inertia = 0;
  // two points at a time share every centre load; each distance is still summed over j in
  // order, so the result is bit-identical to one point at a time
  let s = 0;
  for (; s + 2 <= count; s += 2) {
    const a = (rowIndex === undefined ? s : rowIndex[s]!) * cols;
    const b = (rowIndex === undefined ? s + 1 : rowIndex[s + 1]!) * cols;
    nearestOfPair(points.data, a, b, centres, k, cols, best, bestLabel);
    labels[s] = bestLabel[0]!;
    labels[s + 1] = bestLabel[1]!;
    inertia += best[0]!;
    inertia += best[1]!;
  }
  for (; s < count; s++) {
    const base = (rowIndex === undefined ? s : rowIndex[s]!) * cols;
    let min = Infinity;
    for (let c = 0; c < k; c++) {
      const d = squaredDistance(points.data, base, centres, c * cols, cols);
      if (d < min) {
        min = d;
        labels[s] = c;
      }
    }
    inertia += min;
  }
  return inertia;
}

/** Nearest centre of rows starting at `a` and `b`, two centres at a time (ties: lower index). */
function nearestOfPair(data: Float32Array, a: number, b: number, centres: Float64Array, k: number, cols: number, best: Float64Array, bestLabel: Int32Array): void {
  best[0] = Infinity;
  best[1] = Infinity;
  let c = 0;
  for (; c + 2 <= k; c += 2) {
    const c0 = c * cols;
    const c1 = c0 + cols;
    let a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    for (let j = 0; j < cols; j++) {
      const x = data[a + j]!;
      const y = data[b + j]!;
      const u = centres[c0 + j]!;
      const v = centres[c1 + j]!;
      const xu = x - u, xv = x - v, yu = y - u, yv = y - v;
      a0 += xu * xu; a1 += xv * xv; b0 += yu * yu; b1 += yv * yv;
    }
    if (a0 < best[0]!) { best[0] = a0; bestLabel[0] = c; }
    if (a1 < best[0]!) { best[0] = a1; bestLabel[0] = c + 1; }
    if (b0 < best[1]!) { best[1] = b0; bestLabel[1] = c; }
    if (b1 < best[1]!) { best[1] = b1; bestLabel[1] = c + 1; }
  }
  for (; c < k; c++) {
    const da = squaredDistance(data, a, centres, c * cols, cols);
    const db = squaredDistance(data, b, centres, c * cols, cols);
    if (da < best[0]!) { best[0] = da; bestLabel[0] = c; }
    if (db < best[1]!) { best[1] = db; bestLabel[1] = c; }
  }
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
