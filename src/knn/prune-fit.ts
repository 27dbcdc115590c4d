/**
 * The rotation behind the lower-bound prune (see prune-block.ts): the top `rank` principal axes
 * V of a sample of the reference rows, and every row mapped once to the augmented vector
 *
 *   y(x) = [ V(x - mu) , rho(x) ],   rho(x) = |R(x - mu)| = sqrt(|x - mu|^2 - |V(x - mu)|^2)
 *
 * For orthonormal V: |q - x|^2 = |V(q - x)|^2 + |R(q - x)|^2 >= |V(q - x)|^2 + (rho(q) - rho(x))^2
 * = |y(q) - y(x)|^2 (reverse triangle inequality on the residual part), so a squared distance
 * in rank + 1 dimensions bounds the full one from below.
 */
import { columnMeans, scatterMatrix } from "../numeric/covariance.ts";
import { symmetricEigen } from "../numeric/eigen.ts";

/** Rows of the reference sample the axes are fitted on (evenly spaced, so no rng is needed). */
export const PRUNE_FIT_SAMPLE = 20_000;

export interface PruneProjection {
  /** principal axes kept */
  rank: number;
  /** floats per projected row: rank + 1 (the residual norm) padded to a multiple of 4 */
  pdp: number;
  /** rows x pdp float32, zero padded */
  coords: Float32Array;
  /** |x - mu|^2 per row, float64 */
  centeredNorms: Float64Array;
  /**
   * The bound error budget: a computed bound may exceed a true lower bound of the float64
   * distance by at most coef * (|q - mu|^2 + |x - mu|^2). See boundCoefficient.
   */
  coef: number;
}

/** Evenly spaced rows of the union of the groups, at most PRUNE_FIT_SAMPLE of them, ascending. */
export function fitSample(groups: readonly Int32Array[]): Int32Array {
  const all = Int32Array.from(new Set(groups.flatMap((g) => Array.from(g)))).sort();
  if (all.length <= PRUNE_FIT_SAMPLE) return all;
  return Int32Array.from({ length: PRUNE_FIT_SAMPLE }, (_, i) => all[Math.floor((i * all.length) / PRUNE_FIT_SAMPLE)]!);
}

/**
 * Fits the axes on `sampleRows` and projects every row of `data` (rows x dims). Returns nothing
 * when the top `rank` axes hold less than `minExplained` of the sample's variance: the distance
 * then lives mostly in the residual, the bound is loose and projecting 150k rows is wasted.
 */
export function projectForPruning(
  data: Float32Array,
  dims: number,
  sampleRows: Int32Array,
  rank: number,
  minExplained = 0,
): PruneProjection | undefined {
  const rows = data.length / dims;
  const input = { data, rows, cols: dims, rowIndex: sampleRows };
  const mean = columnMeans(input);
  const eigen = symmetricEigen(scatterMatrix(input, mean), dims);
  if (explainedShare(eigen.values, rank) < minExplained) return undefined;
  const axes = eigen.vectors.subarray(0, rank * dims);
  const pdp = Math.ceil((rank + 1) / 4) * 4;
  const coords = new Float32Array(rows * pdp);
  const centeredNorms = new Float64Array(rows);
  const centred = new Float64Array(dims);
  for (let row = 0; row < rows; row++) {
    let norm = 0;
    for (let j = 0; j < dims; j++) {
      const v = data[row * dims + j]! - mean[j]!;
      centred[j] = v;
      norm += v * v;
    }
    let projected = 0;
    for (let a = 0; a < rank; a++) {
      let dot = 0;
      for (let j = 0; j < dims; j++) dot += axes[a * dims + j]! * centred[j]!;
      coords[row * pdp + a] = dot;
      projected += dot * dot;
    }
    coords[row * pdp + rank] = Math.sqrt(Math.max(0, norm - projected));
    centeredNorms[row] = norm;
  }
  return { rank, pdp, coords, centeredNorms, coef: boundCoefficient(pdp, rank, orthonormalityError(axes, rank, dims)) };
}

function explainedShare(values: Float64Array, rank: number): number {
  let top = 0;
  let total = 0;
  values.forEach((v, i) => {
    const positive = Math.max(0, v);
    total += positive;
    if (i < rank) top += positive;
  });
  return total > 0 ? top / total : 1;
}

/**
 * Largest |V V^T - I| entry: the eigen solver's axes are orthonormal only to rounding, and the
 * margin must cover that too rather than assume it.
 */
function orthonormalityError(axes: Float64Array, rank: number, dims: number): number {
  let worst = 0;
  for (let a = 0; a < rank; a++) {
    for (let b = a; b < rank; b++) {
      let dot = 0;
      for (let j = 0; j < dims; j++) dot += axes[a * dims + j]! * axes[b * dims + j]!;
      worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/**
 * Error budget, in units of (|q - mu|^2 + |x - mu|^2) = Nq + Nx, u = 2^-24. The true distance
 * |q - x|^2 <= 2 (Nq + Nx), so every error below is relative to Nq + Nx:
 *  - the wasm kernel's float32 value |y_q|^2 + |y_x|^2 - 2 y_q.y_x: <= (pdp + 4) u (|y_q|^2 + |y_x|^2),
 *    and |y|^2 <= N (1 + orth) (a factor 2 for the norms' own float32 rounding);
 *  - rounding y to float32 (u per coordinate): <= 4 u (Nq + Nx);
 *  - rho from a float64 difference that may cancel: its square is off by <= ~dims 2^-52 N, so rho
 *    by <= 2^-21 sqrt(N) for dims < 2^9, and (rho_q - rho_x)^2 by <= 32 u (Nq + Nx);
 *  - non-orthonormal axes: <= 4 rank orth (Nq + Nx); the float64 re-check (dims 2^-53 relative)
 *    and the float32 rounding of N itself are far below the slack of the constant term.
 * The budget doubles the sum of these.
 */
export function boundCoefficient(pdp: number, rank: number, orth: number): number {
  return 2 * ((2 * (pdp + 4) + 4 + 32 + 16) * 2 ** -24 + 8 * rank * orth);
}
