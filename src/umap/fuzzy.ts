import { type Csr, csrFromRows, fuzzyUnion, mapCsr, rowMax } from "./sparse.ts";

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;
const BINARY_SEARCH_STEPS = 64;

/** Neighbour lists of n points, k per point, row-major; -1 / Infinity pad missing slots. */
export interface NeighbourLists {
  readonly count: number;
  readonly k: number;
  readonly indices: Int32Array;
  readonly distances: Float64Array;
}

/**
 * umap-learn's smooth_knn_dist for one row (as umap-js ports it): `rho` is the distance to the
 * nearest non-zero neighbour (local connectivity 1) or 0 (local connectivity 0, used by
 * transform), and sigma solves Σ_{j≥1} exp(-(d_j - rho)/sigma) = log2(k) by bisection. The sum
 * starts at j = 1 because slot 0 is the point itself in a fit graph; umap-learn keeps that
 * skip in transform too, and so do we, to place points the way it does.
 * `meanFloor` bounds sigma from below when rho is 0 (umap-learn uses a global mean there).
 */
export function smoothRow(
  distances: Float64Array,
  offset: number,
  k: number,
  localConnectivity: 0 | 1,
  meanFloor: number,
): { sigma: number; rho: number } {
  let rho = 0;
  if (localConnectivity === 1) {
    for (let j = 0; j < k; j++) {
      const d = distances[offset + j]!;
      if (d > 0 && Number.isFinite(d)) {
        rho = d;
        break;
      }
    }
  }
  const target = Math.log2(k);
  let lo = 0;
  let hi = Infinity;
  let mid = 1;
  for (let step = 0; step < BINARY_SEARCH_STEPS; step++) {
    let psum = 0;
    for (let j = 1; j < k; j++) {
      const d = distances[offset + j]! - rho;
      psum += d > 0 ? Math.exp(-(d / mid)) : 1;
    }
    if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
    if (psum > target) {
      hi = mid;
      mid = (lo + hi) / 2;
    } else {
      lo = mid;
      mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
    }
  }
  const floor = rho > 0 ? MIN_K_DIST_SCALE * rowMean(distances, offset, k) : MIN_K_DIST_SCALE * meanFloor;
  return { sigma: Math.max(mid, floor), rho };
}

export function rowMean(values: Float64Array, offset: number, k: number): number {
  let sum = 0;
  for (let j = 0; j < k; j++) sum += values[offset + j]!;
  return sum / k;
}

/** Membership strength of one neighbour: 1 inside rho, then an exponential fall-off. */
export function membership(distance: number, sigma: number, rho: number): number {
  const d = distance - rho;
  return d <= 0 ? 1 : Math.exp(-(d / sigma));
}

/**
 * The fit graph: directed memberships from each point's k-NN list (self excluded), then the
 * fuzzy union. Same numbers as umap-js's fuzzySimplicialSet with local connectivity 1.
 */
export function fuzzySimplicialSet(knn: NeighbourLists): Csr {
  const { count, k, indices, distances } = knn;
  let meanOfMeans = 0;
  for (let i = 0; i < count; i++) meanOfMeans += rowMean(distances, i * k, k);
  meanOfMeans /= count;
  const values = new Float64Array(count * k);
  for (let i = 0; i < count; i++) {
    const { sigma, rho } = smoothRow(distances, i * k, k, 1, meanOfMeans);
    for (let j = 0; j < k; j++) {
      const at = i * k + j;
      values[at] = indices[at] === i || indices[at]! < 0 ? 0 : membership(distances[at]!, sigma, rho);
    }
  }
  return fuzzyUnion(csrFromRows(count, k, indices, values));
}

/**
 * Supervised step for a categorical target (umap-learn's discrete intersection, then
 * reset_local_connectivity): edges between different labels shrink by exp(-farDist), edges
 * touching an unknown label (< 0) by exp(-1); rows are max-normalised and re-symmetrised.
 */
export function categoricalIntersection(graph: Csr, labels: Int8Array, targetWeight: number): Csr {
  const farDist = targetWeight < 1 ? 2.5 * (1 / (1 - targetWeight)) : 1e12;
  const farScale = Math.exp(-farDist);
  const unknownScale = Math.exp(-1);
  const intersected = mapCsr(graph, (value, row, col) => {
    const a = labels[row]!;
    const b = labels[col]!;
    if (a < 0 || b < 0) return value * unknownScale;
    return a === b ? value : value * farScale;
  });
  const max = rowMax(intersected);
  return fuzzyUnion(mapCsr(intersected, (value, row) => value / max[row]!));
}
