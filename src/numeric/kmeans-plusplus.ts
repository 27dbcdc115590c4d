import type { Rng } from "../core/rng.ts";
import { compactPoints, streamSquaredDistances, type PackedPoints, type PointSet } from "./kmeans-kernel.ts";

/**
 * Greedy k-means++ seeding as sklearn's `_kmeans_plusplus`: the first centre is a uniform
 * pick; each next one is the best (lowest resulting potential) of 2 + ⌊ln k⌋ candidates drawn
 * with probability proportional to the squared distance to the nearest chosen centre.
 * Returns k × cols centres (float64), each a copy of one of the points.
 *
 * NOTE: the distances here are the kernel's float32 ones. Seeding only samples by them, so
 * their relative error (~1e-6) just nudges the odds; nothing needs the float64 argmin. Past
 * float32's range (squared distances over ~3e38, features of ~1e18 and more) the odds are no
 * longer meaningful (an infinite potential picks the first far point); labels stay exact.
 */
export function kmeansPlusPlus(sample: PointSet, k: number, rng: Rng): Float64Array {
  const points = compactPoints(sample); // streamed k times, so gathered once
  const { count: m, cols } = points;
  const centres = new Float64Array(k * cols);
  const trials = 2 + Math.floor(Math.log(k));
  const first = rng.int(m);
  centres.set(pointRow(points, first), 0);
  let closest = distancesTo(points, [first])[0]!;
  let potential = sum(closest);
  for (let c = 1; c < k; c++) {
    const cumulative = cumulativeSum(closest);
    const ids = Array.from({ length: trials }, () => searchSorted(cumulative, rng.next() * potential));
    const candidates = distancesTo(points, ids);
    let best = 0;
    let bestPotential = Infinity;
    candidates.forEach((candidate, t) => {
      for (let i = 0; i < m; i++) candidate[i] = Math.min(closest[i]!, candidate[i]!);
      const candidatePotential = sum(candidate);
      // strict < keeps the first of equal candidates, as numpy's argmin does
      if (candidatePotential < bestPotential) [best, bestPotential] = [t, candidatePotential];
    });
    centres.set(pointRow(points, ids[best]!), c * cols);
    closest = candidates[best]!;
    potential = bestPotential;
  }
  return centres;
}

/** Squared distances (float32 values) of every point to each of the points `ids`, one array per id. */
function distancesTo(points: PackedPoints, ids: number[]): Float64Array[] {
  const centres = new Float32Array(ids.length * points.cols);
  ids.forEach((id, t) => centres.set(pointRow(points, id), t * points.cols));
  const out = ids.map(() => new Float64Array(points.count));
  streamSquaredDistances(points, centres, ids.length, (first, count, distances, width) => {
    out.forEach((o, t) => {
      for (let i = 0; i < count; i++) o[first + i] = distances[i * width + t]!;
    });
  });
  return out;
}

function pointRow(points: PackedPoints, i: number): Float32Array {
  return points.data.subarray(i * points.cols, (i + 1) * points.cols);
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
