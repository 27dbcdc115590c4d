import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { InputError } from "../core/errors.ts";

export interface SymmetricEigen {
  /** eigenvalues, largest first */
  readonly values: Float64Array;
  /**
   * eigenvectors as rows, row k (length d) belongs to values[k]; each is sign-canonical:
   * its entry of largest magnitude is positive (the first such entry on ties)
   */
  readonly vectors: Float64Array;
}

/**
 * Eigendecomposition of a symmetric d × d matrix (row-major). ml-matrix's tridiagonal QL is
 * deterministic; sorting and the sign convention make equal inputs give equal bytes.
 */
export function symmetricEigen(matrix: Float64Array, d: number): SymmetricEigen {
  if (matrix.length !== d * d) throw new RangeError(`eigen input has ${matrix.length} values, expected ${d}²`);
  // a NaN here comes from non-finite features (ml-matrix would crash on it deep inside)
  if (!matrix.every(Number.isFinite)) {
    throw new InputError(
      "project: the features hold NaN or infinite values, so their scatter matrix is not finite",
      "wire project's features input to standardize.features (it imputes NaN); if it is, run `pipeline cache verify`",
    );
  }
  const rows: number[][] = [];
  for (let i = 0; i < d; i++) rows.push(Array.from(matrix.subarray(i * d, (i + 1) * d)));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const raw = evd.realEigenvalues;
  const vectorMatrix = evd.eigenvectorMatrix;
  // stable order: by value descending, ties by original position
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => raw[b]! - raw[a]! || a - b);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  order.forEach((source, k) => {
    values[k] = raw[source]!;
    const row = vectors.subarray(k * d, (k + 1) * d);
    for (let i = 0; i < d; i++) row[i] = vectorMatrix.get(i, source);
    canonicalSign(row);
  });
  return { values, vectors };
}

/** Flips `vector` in place so that its entry of largest magnitude is positive. */
export function canonicalSign(vector: Float64Array): void {
  let best = 0;
  for (let i = 1; i < vector.length; i++) if (Math.abs(vector[i]!) > Math.abs(vector[best]!)) best = i;
  if (vector[best]! < 0) for (let i = 0; i < vector.length; i++) vector[i] = -vector[i]!;
}
