import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** One fixture written by scripts/golden/linear_golden.py (sklearn/numpy on the same data). */
export interface LinearGolden {
  provenance: string;
  name: string;
  rows: number;
  cols: number;
  /** raw input, row-major; null marks NaN */
  x: (number | null)[];
  y: number[];
  standardize: { medians: number[]; means: number[]; stds: number[]; kept: number[]; z: number[]; kept_cols: number };
  pca: { transform: number[]; explained_variance_ratio: number[] };
  lda: LdaGolden;
  lda_two_classes: LdaGolden & { rows: number[] };
  kmeans: {
    k: number;
    batch_size: number;
    n_init: number;
    max_iter: number;
    minibatch_inertias: number[];
    full_batch_inertia: number;
  };
}

export interface LdaGolden {
  n_components: number;
  /** rows × n_components, row-major */
  transform: number[];
  explained_variance_ratio: number[];
}

export const GOLDEN_SETS = ["iris", "wine", "synthetic"] as const;

export function loadGolden(name: (typeof GOLDEN_SETS)[number]): LinearGolden {
  const url = new URL(`../../fixtures/golden/linear/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), "utf8")) as LinearGolden;
}

/** The raw input as the float32 matrix `load` would hand over (null → NaN). */
export function goldenInput(golden: LinearGolden): Float32Array {
  return Float32Array.from(golden.x, (v) => (v === null ? Number.NaN : v));
}

/** Pearson correlation of column `a` of x (stride sx) with column `b` of y (stride sy). */
export function columnCorrelation(
  x: ArrayLike<number>,
  sx: number,
  a: number,
  y: ArrayLike<number>,
  sy: number,
  b: number,
  rows: number,
): number {
  let mx = 0,
    my = 0;
  for (let r = 0; r < rows; r++) {
    mx += x[r * sx + a]!;
    my += y[r * sy + b]!;
  }
  mx /= rows;
  my /= rows;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let r = 0; r < rows; r++) {
    const dx = x[r * sx + a]! - mx;
    const dy = y[r * sy + b]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

export function allRows(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}
