import type { Rng } from "../core/rng.ts";
import { type NeighbourLists, membership, rowMean, smoothRow } from "./fuzzy.ts";
import { type CurveParams, type EdgeSchedule, SamplingClock, epochAlpha, optimizeEpoch } from "./layout.ts";

/** What placing new points needs from the fit. */
export interface FittedLayout {
  /** fit points x 3, float64 */
  readonly embedding: Float64Array;
  readonly curve: CurveParams;
  /** the fit's learning rate; transform uses a quarter of it, as umap-learn does */
  readonly learningRate: number;
}

/** umap-learn's transform epoch count, decided once for the whole set of placed rows. */
export function transformEpochs(totalPlaced: number): number {
  return totalPlaced <= 10000 ? 100 : 30;
}

/**
 * Places new points against a fixed fitted embedding (umap-learn's transform): memberships to
 * their k fitted neighbours (local connectivity 0), start at the membership-weighted mean of
 * those neighbours, then `nEpochs` of SGD that moves only the new point.
 *
 * Two deliberate differences from umap-learn keep each row's result independent of which other
 * rows share its batch (so batch size and thread count never change a coordinate): weights are
 * scaled by 1, their supremum, instead of the batch maximum, and sigma's lower bound uses the
 * row's own mean distance instead of the batch mean. Each row draws its negative samples from
 * its own stream, `rowRng(row)`.
 *
 * `knn.indices` are positions in the fit set. Writes 3 values per point into `out`.
 */
export function placePoints(
  knn: NeighbourLists,
  fitted: FittedLayout,
  nEpochs: number,
  rowRng: (point: number) => Rng,
  out: Float64Array,
): void {
  const { k } = knn;
  const weights = new Float64Array(k);
  const point = new Float64Array(3);
  for (let q = 0; q < knn.count; q++) {
    const offset = q * k;
    const valid = countValid(knn.indices, offset, k);
    computeWeights(knn, offset, valid, weights);
    initialPosition(knn.indices, offset, valid, weights, fitted.embedding, point);
    const edges = pointEdges(knn.indices, offset, valid, weights, nEpochs);
    const clock = new SamplingClock(edges.epochsPerSample);
    const rng = rowRng(q);
    const random = (): number => rng.next();
    for (let n = 0; n < nEpochs; n++) {
      const alpha = epochAlpha(fitted.learningRate / 4, n, nEpochs);
      optimizeEpoch(point, fitted.embedding, edges, clock, n, alpha, fitted.curve, random);
    }
    out.set(point, q * 3);
  }
}

function countValid(indices: Int32Array, offset: number, k: number): number {
  let valid = 0;
  while (valid < k && indices[offset + valid]! >= 0) valid++;
  return valid;
}

function computeWeights(knn: NeighbourLists, offset: number, valid: number, weights: Float64Array): void {
  const { sigma, rho } = smoothRow(knn.distances, offset, valid, 0, rowMean(knn.distances, offset, valid));
  for (let j = 0; j < valid; j++) weights[j] = membership(knn.distances[offset + j]!, sigma, rho);
}

/** Weighted mean of the neighbours' positions; an exact duplicate (weight 1 at distance 0) takes its twin's. */
function initialPosition(
  indices: Int32Array,
  offset: number,
  valid: number,
  weights: Float64Array,
  embedding: Float64Array,
  point: Float64Array,
): void {
  point.fill(0);
  let total = 0;
  for (let j = 0; j < valid; j++) total += weights[j]!;
  for (let j = 0; j < valid; j++) {
    const at = indices[offset + j]! * 3;
    if (weights[j] === 1) {
      point.set(embedding.subarray(at, at + 3));
      return;
    }
    // every weight underflowing to 0 (a far outlier): fall back to the plain mean, never NaN
    const share = total > 0 ? weights[j]! / total : 1 / valid;
    for (let d = 0; d < 3; d++) point[d]! += share * embedding[at + d]!;
  }
}

/** The point's edges (head 0 = the point itself), weights under 1/nEpochs dropped. */
function pointEdges(indices: Int32Array, offset: number, valid: number, weights: Float64Array, nEpochs: number): EdgeSchedule {
  const tail: number[] = [];
  const epochsPerSample: number[] = [];
  for (let j = 0; j < valid; j++) {
    if (weights[j]! < 1 / nEpochs) continue;
    tail.push(indices[offset + j]!);
    epochsPerSample.push(1 / weights[j]!);
  }
  return { head: new Int32Array(tail.length), tail: Int32Array.from(tail), epochsPerSample: Float64Array.from(epochsPerSample) };
}
