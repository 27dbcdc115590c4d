import { CancelledError } from "../core/errors.ts";
import type { Rng } from "../core/rng.ts";
import { assignNearest } from "./kmeans-assign.ts";
import { compactPoints, sumRowsByLabel, type PackedPoints, type PointSet } from "./kmeans-kernel.ts";
import { kmeansPlusPlus } from "./kmeans-plusplus.ts";

export interface MiniBatchOptions {
  readonly k: number;
  readonly batchSize: number;
  readonly nInit: number;
  /** epochs-equivalent: the step budget is ⌊maxIter · n / batchSize⌋ */
  readonly maxIter: number;
  /** stop after this many steps without a new minimum of the smoothed batch inertia (sklearn: 10) */
  readonly maxNoImprovement?: number;
  /** centres whose count falls below this share of the largest count are re-seeded (sklearn: 0.01) */
  readonly reassignmentRatio?: number;
  readonly rng: Rng;
  readonly signal?: AbortSignal;
  readonly onStep?: (step: number, steps: number) => void;
}

export interface MiniBatchFit {
  /** k × cols float64, in the order sklearn would leave them (not yet relabelled) */
  readonly centres: Float64Array;
  /** Σ squared distance of the fit rows to their nearest centre, as sklearn's inertia_ */
  readonly inertia: number;
  readonly nSteps: number;
  /** ⌈steps · batch / n⌉, as sklearn's n_iter_ */
  readonly nIter: number;
  /** which init (0-based) had the lowest inertia on the shared validation rows */
  readonly bestInit: number;
  readonly initInertias: number[];
}

/**
 * sklearn's MiniBatchKMeans.fit (≥ 1.1 update rule) on the points of `sample` (its m = count
 * rows, read in place through its rowIndex, so a fit sample needs no copy):
 *   init      nInit k-means++ seedings, each on its own 3·batch random rows; the one with the
 *             lowest inertia on a shared 3·batch validation draw wins
 *   steps     random batch → assign → per-centre running mean with count-based learning rate
 *             (c ← (c·n_c + Σx) / (n_c + b_c)) → re-seed starved centres
 *   stopping  no new minimum of the EWA-smoothed batch inertia for maxNoImprovement steps
 */
export function fitMiniBatchKMeans(sample: PointSet, options: MiniBatchOptions): MiniBatchFit {
  const { k, batchSize } = options;
  const m = sample.count;
  if (m < k) throw new RangeError(`k-means needs at least k=${k} rows, got ${m}`);
  const initSize = Math.min(Math.max(3 * batchSize, 3 * k), m);
  const init = bestInit(sample, initSize, options);
  const run = runSteps(sample, init.centres, options);
  const inertia = assignNearest(sample, run.centres, k, new Int32Array(m));
  return {
    centres: run.centres,
    inertia,
    nSteps: run.steps,
    nIter: Math.ceil((run.steps * batchSize) / m),
    bestInit: init.index,
    initInertias: init.inertias,
  };
}

function bestInit(sample: PointSet, initSize: number, options: MiniBatchOptions) {
  const { k, nInit, rng } = options;
  const m = sample.count;
  const validation = compactPoints(subset(sample, drawRows(rng, m, initSize))); // streamed nInit times
  const scratch = new Int32Array(initSize);
  const seedingRows = new Float32Array(initSize * sample.cols);
  const inertias: number[] = [];
  let best: { index: number; centres: Float64Array; inertia: number } = { index: 0, centres: new Float64Array(0), inertia: Infinity };
  for (let i = 0; i < Math.max(1, nInit); i++) {
    const seeding = initSize < m ? compactPoints(subset(sample, drawRows(rng, m, initSize)), seedingRows) : sample;
    const centres = kmeansPlusPlus(seeding, k, rng);
    const inertia = assignNearest(validation, centres, k, scratch);
    inertias.push(inertia);
    if (inertia < best.inertia) best = { index: i, centres, inertia };
  }
  return { index: best.index, centres: best.centres, inertias };
}

function runSteps(sample: PointSet, start: Float64Array, options: MiniBatchOptions) {
  const { k, batchSize, rng, signal } = options;
  const m = sample.count;
  const maxNoImprovement = options.maxNoImprovement ?? 10;
  const ratio = options.reassignmentRatio ?? 0.01;
  const totalSteps = Math.max(1, Math.floor((options.maxIter * m) / batchSize));
  const centres = Float64Array.from(start);
  const counts = new Float64Array(k);
  const labels = new Int32Array(batchSize);
  const batchRows = new Float32Array(batchSize * sample.cols);
  const alpha = Math.min((batchSize * 2) / (m + 1), 1);
  let ewa: number | undefined;
  let ewaMin = Infinity;
  let noImprovement = 0;
  let sinceReassign = 0;
  let step = 0;
  while (step < totalSteps) {
    if (signal?.aborted) throw new CancelledError("cluster");
    const batch = compactPoints(subset(sample, drawRows(rng, m, batchSize)), batchRows); // assigned, then summed
    sinceReassign += batchSize;
    const reassign = sinceReassign >= 10 * k || counts.some((c) => c === 0);
    if (reassign) sinceReassign = 0;
    const batchInertia = assignNearest(batch, centres, k, labels) / batchSize;
    updateCentres(batch, labels, centres, counts, k);
    if (reassign && ratio > 0) reseedStarved(batch, centres, counts, k, ratio, rng);
    step++;
    options.onStep?.(step, totalSteps);
    if (step === 1) continue; // sklearn skips the first step: its inertia reflects the init
    ewa = ewa === undefined ? batchInertia : ewa * (1 - alpha) + batchInertia * alpha;
    if (ewa < ewaMin) {
      ewaMin = ewa;
      noImprovement = 0;
    } else if (++noImprovement >= maxNoImprovement) break;
  }
  return { centres, steps: step };
}

/** c ← (c·n_c + Σ batch points of c) / (n_c + their count): sklearn's `_minibatch_update_dense`. */
function updateCentres(batch: PackedPoints, labels: Int32Array, centres: Float64Array, counts: Float64Array, k: number): void {
  const { cols, count } = batch;
  const sums = sumRowsByLabel(batch, labels, k);
  const hits = new Float64Array(k);
  for (let s = 0; s < count; s++) hits[labels[s]!]! += 1;
  for (let c = 0; c < k; c++) {
    if (hits[c] === 0) continue;
    const total = counts[c]! + hits[c]!;
    for (let j = 0; j < cols; j++) {
      const at = c * cols + j;
      centres[at] = (centres[at]! * counts[c]! + sums[at]!) / total;
    }
    counts[c] = total;
  }
}

/** sklearn's random reassignment: centres with count < ratio · max count jump to random batch points. */
function reseedStarved(batch: PackedPoints, centres: Float64Array, counts: Float64Array, k: number, ratio: number, rng: Rng): void {
  let max = 0;
  for (let c = 0; c < k; c++) max = Math.max(max, counts[c]!);
  let starved: number[] = [];
  for (let c = 0; c < k; c++) if (counts[c]! < ratio * max) starved.push(c);
  const cap = Math.floor(0.5 * batch.count);
  if (starved.length > cap) {
    // keep only the `cap` lowest counts (stable order on ties)
    starved = starved
      .sort((a, b) => counts[a]! - counts[b]! || a - b)
      .slice(0, cap)
      .sort((a, b) => a - b);
  }
  if (starved.length === 0) return;
  const picks = rng.sample(batch.count, starved.length);
  const { data, cols } = batch;
  starved.forEach((c, i) => {
    const base = picks[i]! * cols;
    for (let j = 0; j < cols; j++) centres[c * cols + j] = data[base + j]!;
  });
  let floor = Infinity;
  for (let c = 0; c < k; c++) if (!starved.includes(c)) floor = Math.min(floor, counts[c]!);
  for (const c of starved) counts[c] = floor;
}

/** `count` row ids drawn uniformly with replacement (numpy's randint). */
function drawRows(rng: Rng, m: number, count: number): Int32Array {
  const ids = new Int32Array(count);
  for (let i = 0; i < count; i++) ids[i] = rng.int(m);
  return ids;
}

/** The points of `points` at positions `ids`, as row ids into the same data. */
function subset(points: PointSet, ids: Int32Array): PointSet {
  const { rowIndex } = points;
  if (rowIndex !== undefined) for (let i = 0; i < ids.length; i++) ids[i] = rowIndex[ids[i]!]!;
  return { data: points.data, cols: points.cols, rowIndex: ids, count: ids.length };
}
