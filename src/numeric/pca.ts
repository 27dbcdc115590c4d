import { columnMeans, scatterMatrix } from "./covariance.ts";
import { symmetricEigen } from "./eigen.ts";
import type { LinearMap } from "./linear-map.ts";

export interface PcaFit extends LinearMap {
  /** eigenvalue share of the total variance per kept component, as sklearn's explained_variance_ratio_ */
  readonly explainedVarianceRatio: number[];
  /** variance along each component (ddof 1), as sklearn's explained_variance_ */
  readonly explainedVariance: number[];
}

/**
 * PCA fitted on the rows `fitRows` of a row-major float32 matrix: covariance in float64, then a
 * symmetric eigendecomposition (sklearn uses an SVD of the centred data; the axes agree up to
 * sign, which is canonicalised here: each axis's largest loading is positive).
 * Components beyond min(nComponents, cols, fit rows) are zero rows.
 */
export function fitPca(data: Float32Array, rows: number, cols: number, fitRows: Int32Array, nComponents: number): PcaFit {
  const input = { data, rows, cols, rowIndex: fitRows };
  const mean = columnMeans(input);
  const scatter = scatterMatrix(input, mean);
  const { values, vectors } = symmetricEigen(scatter, cols);
  let total = 0;
  for (let j = 0; j < cols; j++) total += Math.max(values[j]!, 0);
  const usable = Math.min(nComponents, cols, fitRows.length);
  const axes = new Float64Array(nComponents * cols);
  const explainedVarianceRatio: number[] = [];
  const explainedVariance: number[] = [];
  for (let k = 0; k < usable; k++) {
    axes.set(vectors.subarray(k * cols, (k + 1) * cols), k * cols);
    const value = Math.max(values[k]!, 0);
    explainedVarianceRatio.push(total > 0 ? value / total : 0);
    explainedVariance.push(fitRows.length > 1 ? value / (fitRows.length - 1) : 0);
  }
  return { cols, outDims: nComponents, offset: mean, axes, explainedVarianceRatio, explainedVariance };
}
