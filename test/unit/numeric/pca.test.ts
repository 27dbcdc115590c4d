import { describe, expect, it } from "vitest";
import { applyLinearMap } from "../../../src/numeric/linear-map.ts";
import { fitPca } from "../../../src/numeric/pca.ts";
import { GOLDEN_SETS, allRows, columnCorrelation, loadGolden } from "./golden.ts";

// Tolerances vs sklearn's PCA(svd_solver="full") on the same standardized rows: each axis has
// |correlation| >= 0.9999 with sklearn's (signs may differ), explained ratios within 1e-6.
describe.each(GOLDEN_SETS)("PCA vs sklearn (%s)", (name) => {
  const golden = loadGolden(name);
  const z = Float32Array.from(golden.standardize.z);
  const rows = golden.rows;
  const cols = golden.standardize.kept_cols;
  const fit = fitPca(z, rows, cols, allRows(rows), 3);
  const projected = applyLinearMap(z, rows, fit);

  it("finds the same axes", () => {
    for (let k = 0; k < 3; k++) {
      expect(Math.abs(columnCorrelation(projected, 3, k, golden.pca.transform, 3, k, rows))).toBeGreaterThanOrEqual(0.9999);
    }
  });

  it("reports the same explained variance ratios", () => {
    golden.pca.explained_variance_ratio.forEach((r, k) => expect(Math.abs(fit.explainedVarianceRatio[k]! - r)).toBeLessThanOrEqual(1e-6));
  });

  it("makes each axis's largest loading positive", () => {
    for (let k = 0; k < 3; k++) {
      const axis = Array.from(fit.axes.subarray(k * cols, (k + 1) * cols));
      const largest = axis.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0);
      expect(largest).toBeGreaterThan(0);
    }
  });
});
