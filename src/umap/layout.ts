import type { Csr } from "./sparse.ts";

const CLIP = 4;
const NEGATIVE_SAMPLE_RATE = 5;
const REPULSION_STRENGTH = 1;

/** The edges the SGD samples, with umap-learn's per-edge sampling schedule. */
export interface EdgeSchedule {
  /** the moved endpoint (umap-js: the graph column) */
  readonly head: Int32Array;
  /** the other endpoint (umap-js: the graph row) */
  readonly tail: Int32Array;
  readonly epochsPerSample: Float64Array;
}

/** The curve 1 / (1 + a d^2b) that stands for min_dist and spread. */
export interface CurveParams {
  readonly a: number;
  readonly b: number;
}

/** umap-js's epoch count for a fit graph of `rows` points. */
export function fitEpochs(rows: number): number {
  if (rows <= 2500) return 500;
  if (rows <= 5000) return 400;
  if (rows <= 7500) return 300;
  return 200;
}

/**
 * Edges in (row, col) order, weights below max/nEpochs dropped (they would be sampled less
 * than once), each sampled every max/weight epochs: umap-js's initializeSimplicialSetEmbedding.
 */
export function scheduleEdges(graph: Csr, nEpochs: number): EdgeSchedule {
  let max = 0;
  for (const v of graph.values) if (v > max) max = v;
  const head: number[] = [];
  const tail: number[] = [];
  const epochsPerSample: number[] = [];
  for (let row = 0; row < graph.size; row++) {
    for (let p = graph.indptr[row]!; p < graph.indptr[row + 1]!; p++) {
      const value = graph.values[p]!;
      if (value < max / nEpochs) continue;
      tail.push(row);
      head.push(graph.indices[p]!);
      epochsPerSample.push(nEpochs / ((value / max) * nEpochs));
    }
  }
  return { head: Int32Array.from(head), tail: Int32Array.from(tail), epochsPerSample: Float64Array.from(epochsPerSample) };
}

/** Mutable per-edge sampling clocks for one optimisation run. */
export class SamplingClock {
  readonly nextSample: Float64Array;
  readonly perNegative: Float64Array;
  readonly nextNegative: Float64Array;

  constructor(readonly epochsPerSample: Float64Array) {
    this.nextSample = epochsPerSample.slice();
    this.perNegative = epochsPerSample.map((e) => e / NEGATIVE_SAMPLE_RATE);
    this.nextNegative = this.perNegative.slice();
  }
}

/** Learning rate used in epoch `n` (umap-js lowers it after each epoch). */
export function epochAlpha(initialAlpha: number, n: number, nEpochs: number): number {
  return n === 0 ? initialAlpha : initialAlpha * (1 - (n - 1) / nEpochs);
}

/**
 * One epoch of umap-js's optimizeLayoutStep on flat 3-D embeddings, in edge order: the same
 * sampling schedule, gradients, clipping and negative sampling, with x^b computed as
 * exp(b ln x) (see powPositive), so numbers match umap-js's to rounding, not bit for bit.
 * `head` indexes `headEmbedding`, `tail` and negative samples index `tailEmbedding`;
 * `moveOther` is true only when both are the same array (the fit).
 */
export function optimizeEpoch(
  headEmbedding: Float64Array,
  tailEmbedding: Float64Array,
  edges: EdgeSchedule,
  clock: SamplingClock,
  n: number,
  alpha: number,
  curve: CurveParams,
  random: () => number,
): void {
  const { head, tail, epochsPerSample } = edges;
  const { nextSample, perNegative, nextNegative } = clock;
  const moveOther = headEmbedding === tailEmbedding;
  const { a, b } = curve;
  const nVertices = tailEmbedding.length / 3;
  for (let i = 0; i < epochsPerSample.length; i++) {
    if (nextSample[i]! > n) continue;
    const j = head[i]! * 3;
    const k = tail[i]! * 3;
    attract(headEmbedding, j, tailEmbedding, k, a, b, alpha, moveOther);
    nextSample[i]! += epochsPerSample[i]!;
    const negatives = Math.floor((n - nextNegative[i]!) / perNegative[i]!);
    for (let p = 0; p < negatives; p++) {
      const other = Math.floor(random() * nVertices);
      // a point never repels itself (umap-js skips j === k at distance 0)
      if (moveOther && other * 3 === j) continue;
      repel(headEmbedding, j, tailEmbedding, other * 3, a, b, alpha);
    }
    nextNegative[i]! += negatives * perNegative[i]!;
  }
}

function distanceSquared(x: Float64Array, i: number, y: Float64Array, j: number): number {
  const d0 = x[i]! - y[j]!;
  const d1 = x[i + 1]! - y[j + 1]!;
  const d2 = x[i + 2]! - y[j + 2]!;
  return d0 * d0 + d1 * d1 + d2 * d2;
}

/**
 * x^b for x > 0. exp(b·ln x) costs half of Math.pow in V8 and is as deterministic (both are
 * software routines); the SGD does not need pow's last bit. It is the hot spot of every epoch.
 */
function powPositive(x: number, b: number): number {
  return Math.exp(b * Math.log(x));
}

function clip(x: number): number {
  return x > CLIP ? CLIP : x < -CLIP ? -CLIP : x;
}

function attract(x: Float64Array, i: number, y: Float64Array, j: number, a: number, b: number, alpha: number, moveOther: boolean): void {
  const dist2 = distanceSquared(x, i, y, j);
  let coeff = 0;
  if (dist2 > 0) {
    const powB = powPositive(dist2, b);
    coeff = (-2 * a * b * (powB / dist2)) / (a * powB + 1);
  }
  for (let d = 0; d < 3; d++) {
    const grad = clip(coeff * (x[i + d]! - y[j + d]!));
    x[i + d]! += grad * alpha;
    if (moveOther) y[j + d]! += -grad * alpha;
  }
}

function repel(x: Float64Array, i: number, y: Float64Array, j: number, a: number, b: number, alpha: number): void {
  const dist2 = distanceSquared(x, i, y, j);
  let coeff = 0;
  if (dist2 > 0) {
    coeff = (2 * REPULSION_STRENGTH * b) / ((0.001 + dist2) * (a * powPositive(dist2, b) + 1));
  }
  for (let d = 0; d < 3; d++) {
    const grad = coeff > 0 ? clip(coeff * (x[i + d]! - y[j + d]!)) : CLIP;
    x[i + d]! += grad * alpha;
  }
}
