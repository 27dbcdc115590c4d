import type { Rng } from "../core/rng.ts";
import { squaredDistance } from "./kmeans-assign.ts";

/**
 * Greedy k-means++ seeding as sklearn's `_kmeans_plusplus`: the first centre is a uniform
 * pick; each next one is the best (lowest resulting potential) of 2 + ⌊ln k⌋ candidates drawn
 * with probability proportional to the squared distance to the nearest chosen centre.
 * `points` is m × cols row-major; returns k × cols centres (float64).
 */
export function kmeansPlusPlus(points: Float32Array, m: number, cols: number, k: number, rng: Rng): Float64Array {
  const centres = new Float64Array(k * cols);
  const trials = 2 + Math.floor(Math.log(k));
  const first = rng.int(m);
  centres.set(points.subarray(first * cols, (first + 1) * cols), 0);
  let closest = distancesTo(points, m, cols, first);
  let potential = sum(closest);
  const candidate = new Float64Array(m);
  for (let c = 1; c < k; c++) {
    const cumulative = cumulativeSum(closest);
    let bestPotential = Infinity;
    let bestId = 0;
    let bestDistances = closest;
    for (let t = 0; t < trials; t++) {
      const id = searchSorted(cumulative, rng.next() * potential);
      const distances = distancesTo(points, m, cols, id);
      for (let i = 0; i < m; i++) candidate[i] = Math.min(closest[i]!, distances[i]!);
      const candidatePotential = sum(candidate);
      // strict < keeps the first of equal candidates, as numpy's argmin does
      if (candidatePotential < bestPotential) {
        bestPotential = candidatePotential;
        bestId = id;
        bestDistances = Float64Array.from(candidate);
      }
    }
    centres.set(points.subarray(bestId * cols, (bestId + 1) * cols), c * cols);
    closest = bestDistances;
    potential = bestPotential;
  }
  return centres;
}

function distancesTo(points: Float32Array, m: number, cols: number, id: number): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) out[i] = squaredDistance(points, i * cols, points, id * cols, cols);
  return out;
}

function sum(values: Float64Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}

function cumulativeSum(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  let s = 0;
  for (let i = 0; i < values.length; i++) out[i] = s += values[i]!;
  return out;
}

/** First index whose cumulative value is >= target (numpy searchsorted, side left), clipped. */
function searchSorted(cumulative: Float64Array, target: number): number {
  let lo = 0;
  let hi = cumulative.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, cumulative.length - 1);
}
