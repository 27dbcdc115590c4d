import { scatterMatrix } from "./covariance.ts";
import { canonicalSign, symmetricEigen } from "./eigen.ts";
import type { LinearMap } from "./linear-map.ts";

/** sklearn's LinearDiscriminantAnalysis(solver="svd") default tol: singular values below it are rank-deficient. */
const SVD_TOL = 1e-4;

export interface LdaFit extends LinearMap {
  /** the class codes found in the fit rows, ascending */
  readonly classes: number[];
  /** min(outDims, classes - 1, cols): axes after these are zero rows */
  readonly components: number;
  /** between-class variance share per component, as sklearn's explained_variance_ratio_ */
  readonly explainedVarianceRatio: number[];
}

/**
 * Fisher LDA as sklearn's LinearDiscriminantAnalysis(solver="svd") computes it, with each SVD
 * replaced by the eigendecomposition of the matching Gram matrix (same singular values and
 * right vectors; the d × d Gram is a scatter matrix, which is cheap to block):
 *   1. within-class scatter Sw of the class-centred rows, scaled by the per-feature within std
 *   2. whitening W = V·S⁻¹ from eig(Sw / (std stdᵀ (n - C))), keeping S > 1e-4
 *   3. the weighted class means in whitened space, and their principal directions
 * Each axis is sign-canonical (largest loading positive); sklearn's sign may differ.
 */
export function fitLda(
  data: Float32Array,
  rows: number,
  cols: number,
  fitRows: Int32Array,
  labels: ArrayLike<number>,
  outDims: number,
): LdaFit {
  const { classes, group, counts } = classGroups(fitRows, labels);
  const n = fitRows.length;
  const nClasses = classes.length;
  const classMeans = groupMeans(data, cols, fitRows, group, nClasses, counts);
  const xbar = new Float64Array(cols);
  for (let g = 0; g < nClasses; g++) {
    for (let j = 0; j < cols; j++) xbar[j]! += (counts[g]! / n) * classMeans[g * cols + j]!;
  }
  const whitening = withinWhitening(data, rows, cols, fitRows, classMeans, group, nClasses);
  const maxComponents = Math.max(0, Math.min(outDims, nClasses - 1, cols));
  const between = betweenDirections(classMeans, xbar, counts, whitening, cols);
  const components = Math.min(maxComponents, between.rank);
  const axes = new Float64Array(outDims * cols);
  for (let c = 0; c < components; c++) {
    const axis = axes.subarray(c * cols, (c + 1) * cols);
    for (let i = 0; i < cols; i++) {
      let s = 0;
      for (let r = 0; r < whitening.rank; r++) s += whitening.scalings[i * whitening.rank + r]! * between.vt[c * whitening.rank + r]!;
      axis[i] = s;
    }
    canonicalSign(axis);
  }
  const explainedVarianceRatio = between.ratios.slice(0, maxComponents);
  return { cols, outDims, offset: xbar, axes, classes, components, explainedVarianceRatio };
}

interface ClassGroups {
  classes: number[];
  /** per fit row: index into classes */
  group: Int32Array;
  counts: Float64Array;
}

function classGroups(fitRows: Int32Array, labels: ArrayLike<number>): ClassGroups {
  const present = new Set<number>();
  for (const r of fitRows) present.add(labels[r]!);
  const classes = [...present].sort((a, b) => a - b);
  const slot = new Map(classes.map((c, i) => [c, i]));
  const group = Int32Array.from(fitRows, (r) => slot.get(labels[r]!)!);
  const counts = new Float64Array(classes.length);
  for (const g of group) counts[g]! += 1;
  return { classes, group, counts };
}

function groupMeans(
  data: Float32Array,
  cols: number,
  fitRows: Int32Array,
  group: Int32Array,
  nGroups: number,
  counts: Float64Array,
): Float64Array {
  const means = new Float64Array(nGroups * cols);
  fitRows.forEach((r, s) => {
    const base = r * cols;
    const m = group[s]! * cols;
    for (let j = 0; j < cols; j++) means[m + j]! += data[base + j]!;
  });
  for (let g = 0; g < nGroups; g++) for (let j = 0; j < cols; j++) means[g * cols + j]! /= counts[g]!;
  return means;
}

interface Whitening {
  rank: number;
  /** cols × rank, row-major: sklearn's `scalings` after step 2 */
  scalings: Float64Array;
}

function withinWhitening(
  data: Float32Array,
  rows: number,
  cols: number,
  fitRows: Int32Array,
  classMeans: Float64Array,
  group: Int32Array,
  nClasses: number,
): Whitening {
  const n = fitRows.length;
  const sw = scatterMatrix({ data, rows, cols, rowIndex: fitRows }, classMeans, group);
  const std = new Float64Array(cols);
  for (let j = 0; j < cols; j++) std[j] = Math.sqrt(sw[j * cols + j]! / n) || 1;
  // with one row per class there is no within-class spread at all; any positive scale keeps the
  // matrix finite (it is zero, so the rank below is 0) where sklearn would divide by zero
  const fac = n > nClasses ? 1 / (n - nClasses) : 1;
  for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) sw[i * cols + j]! *= fac / (std[i]! * std[j]!);
  const { values, vectors } = symmetricEigen(sw, cols);
  let rank = 0;
  while (rank < cols && Math.sqrt(Math.max(values[rank]!, 0)) > SVD_TOL) rank++;
  const scalings = new Float64Array(cols * rank);
  for (let r = 0; r < rank; r++) {
    const s = Math.sqrt(values[r]!);
    for (let i = 0; i < cols; i++) scalings[i * rank + r] = vectors[r * cols + i]! / std[i]! / s;
  }
  return { rank, scalings };
}

interface BetweenDirections {
  rank: number;
  /** right singular vectors (rows, length whitening rank) of the weighted whitened class means */
  vt: Float64Array;
  ratios: number[];
}

function betweenDirections(
  classMeans: Float64Array,
  xbar: Float64Array,
  counts: Float64Array,
  whitening: Whitening,
  cols: number,
): BetweenDirections {
  const nClasses = counts.length;
  const { rank: wr, scalings } = whitening;
  const fac = nClasses === 1 ? 1 : 1 / (nClasses - 1);
  // M (C × wr): weighted centred class means in the whitened space
  const m = new Float64Array(nClasses * wr);
  for (let g = 0; g < nClasses; g++) {
    const weight = Math.sqrt(counts[g]! * fac);
    for (let r = 0; r < wr; r++) {
      let s = 0;
      for (let i = 0; i < cols; i++) s += (classMeans[g * cols + i]! - xbar[i]!) * scalings[i * wr + r]!;
      m[g * wr + r] = weight * s;
    }
  }
  // SVD of M through eig(M Mᵀ): σ² are its eigenvalues, Vᵀ rows are Mᵀu / σ
  const gram = new Float64Array(nClasses * nClasses);
  for (let a = 0; a < nClasses; a++) {
    for (let b = 0; b < nClasses; b++) {
      let s = 0;
      for (let r = 0; r < wr; r++) s += m[a * wr + r]! * m[b * wr + r]!;
      gram[a * nClasses + b] = s;
    }
  }
  const { values, vectors } = symmetricEigen(gram, nClasses);
  const sigmas = Array.from(values, (v) => Math.sqrt(Math.max(v, 0)));
  const total = sigmas.reduce((acc, s) => acc + s * s, 0);
  const ratios = sigmas.map((s) => (total > 0 ? (s * s) / total : 0));
  let rank = 0;
  while (rank < nClasses && rank < wr && sigmas[rank]! > SVD_TOL * sigmas[0]!) rank++;
  const vt = new Float64Array(rank * wr);
  for (let k = 0; k < rank; k++) {
    for (let r = 0; r < wr; r++) {
      let s = 0;
      for (let g = 0; g < nClasses; g++) s += m[g * wr + r]! * vectors[k * nClasses + g]!;
      vt[k * wr + r] = s / sigmas[k]!;
    }
  }
  return { rank, vt, ratios };
}
