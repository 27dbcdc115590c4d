import { describe, expect, it } from "vitest";
import { fitLda } from "../../../src/numeric/lda.ts";
import { applyLinearMap } from "../../../src/numeric/linear-map.ts";
import { GOLDEN_SETS, allRows, columnCorrelation, loadGolden } from "./golden.ts";

// Tolerances vs sklearn's LinearDiscriminantAnalysis(solver="svd") on the same standardized rows:
// each axis has |correlation| >= 0.9999 with sklearn's transform, explained ratios within 1e-6.
describe.each(GOLDEN_SETS)("LDA vs sklearn (%s)", (name) => {
  const golden = loadGolden(name);
  const z = Float32Array.from(golden.standardize.z);
  const rows = golden.rows;
  const cols = golden.standardize.kept_cols;

  it("finds the same axes and ratios on all classes", () => {
    const fit = fitLda(z, rows, cols, allRows(rows), golden.y, 3);
    const want = golden.lda;
    expect(fit.components).toBe(want.n_components);
    const projected = applyLinearMap(z, rows, fit);
    for (let k = 0; k < want.n_components; k++) {
      const corr = columnCorrelation(projected, 3, k, want.transform, want.n_components, k, rows);
      expect(Math.abs(corr)).toBeGreaterThanOrEqual(0.9999);
    }
    want.explained_variance_ratio.forEach((r, k) => expect(Math.abs(fit.explainedVarianceRatio[k]! - r)).toBeLessThanOrEqual(1e-6));
  });

  it("gives one axis and zero padding with only two classes", () => {
    const want = golden.lda_two_classes;
    const fitRows = Int32Array.from(want.rows);
    const fit = fitLda(z, rows, cols, fitRows, golden.y, 3);
    expect(fit.components).toBe(1);
    expect(fit.classes).toHaveLength(2);
    expect(fit.explainedVarianceRatio).toHaveLength(1);
    expect(Math.abs(fit.explainedVarianceRatio[0]! - want.explained_variance_ratio[0]!)).toBeLessThanOrEqual(1e-6);
    const projected = applyLinearMap(z, rows, fit);
    const subset = Float32Array.from(want.rows.flatMap((r) => [projected[r * 3]!, projected[r * 3 + 1]!, projected[r * 3 + 2]!]));
    expect(Math.abs(columnCorrelation(subset, 3, 0, want.transform, 1, 0, fitRows.length))).toBeGreaterThanOrEqual(0.9999);
    for (let r = 0; r < rows; r++) {
      expect(projected[r * 3 + 1]).toBe(0);
      expect(projected[r * 3 + 2]).toBe(0);
    }
  });
});

describe("LDA edge cases", () => {
  it("yields no axes (all zeros) with one row per class instead of dividing by zero", () => {
    const z = Float32Array.of(0, 1, 2, 3, 4, 6); // 3 rows x 2 cols, 3 classes
    const fit = fitLda(z, 3, 2, allRows(3), [0, 1, 2], 3);
    expect(fit.components).toBe(0);
    expect(Array.from(applyLinearMap(z, 3, fit)).every((v) => v === 0)).toBe(true);
  });
});
