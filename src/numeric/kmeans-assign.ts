import { streamSquaredDistances, type PointSet } from "./kmeans-kernel.ts";
import { distanceBounds, type DistanceBounds } from "./kmeans-error-bound.ts";

/**
 * Nearest-centre assignment, the inner loop of every k-means step. Labels are the argmin of the
 * float64 Σ (x - c)² that `squaredDistance` computes (ties to the lower centre index, as numpy's
 * argmin), found without computing it for most points: the SIMD kernel measures every centre in
 * float32, and only a point whose runner-up might still beat its winner once rounding is
 * accounted for (kmeans-error-bound.ts) is measured again in float64. The exact difference form
 * is used throughout, not ‖x‖² - 2x·c + ‖c‖², which cancels badly for points near a centre.
 */

/**
 * Writes each point's nearest centre into `labels` (length >= count) and returns the inertia:
 * Σ of each point's float32 distance to its centre, or float64 where the point was re-checked.
 */
export function assignNearest(points: PointSet, centres: Float64Array, k: number, labels: Int32Array): number {
  const bounds = distanceBounds(centres, k, points.cols);
  let inertia = 0;
  streamSquaredDistances(points, centres, k, (first, count, distances, width) => {
    for (let i = 0; i < count; i++) {
      const at = i * width;
      let best = 0;
      let d1 = distances[at]!;
      let d2 = Infinity;
      for (let c = 1; c < k; c++) {
        const d = distances[at + c]!;
        if (d < d1) {
          d2 = d1;
          d1 = d;
          best = c;
        } else if (d < d2) d2 = d;
      }
      // every other centre is at least as far as the runner-up: clear of the winner, it cannot win
      if (bounds.lower(d2, bounds.widest) > bounds.upper(d1, bounds.radii[best]!)) {
        labels[first + i] = best;
        inertia += d1;
      } else {
        inertia += recheck(points, first + i, centres, k, distances.subarray(at, at + k), bounds, labels);
      }
    }
  });
  return inertia;
}

/** Float64 argmin over the centres the bound cannot rule out; returns that distance. */
function recheck(
  points: PointSet,
  s: number,
  centres: Float64Array,
  k: number,
  screened: Float32Array,
  bounds: DistanceBounds,
  labels: Int32Array,
): number {
  let cap = Infinity;
  for (let c = 0; c < k; c++) cap = Math.min(cap, bounds.upper(screened[c]!, bounds.radii[c]!));
  const { data, cols, rowIndex } = points;
  const base = (rowIndex === undefined ? s : rowIndex[s]!) * cols;
  let min = Infinity;
  let label = 0;
  for (let c = 0; c < k; c++) {
    if (bounds.lower(screened[c]!, bounds.radii[c]!) > cap) continue; // strictly farther than some centre
    const d = squaredDistance(data, base, centres, c * cols, cols);
    if (d < min) {
      min = d;
      label = c;
    }
  }
  labels[s] = label;
  return min;
}

/** Σ_j (a[aStart + j] - b[bStart + j])² in float64, in j order: the distance labels are the argmin of. */
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
