import { describe, expect, it } from "vitest";
import { createRng } from "../../../src/core/rng.ts";
import { standardize } from "../../../src/numeric/standardize.ts";
import { GOLDEN_SETS, goldenInput, loadGolden } from "./golden.ts";

// Tolerance vs numpy: 1e-5 absolute on z-scores and relative on the statistics. numpy works in
// float32 where we use float64, so we differ by float32 rounding (~1e-7 relative) at most.
const TOL = 1e-5;

describe.each(GOLDEN_SETS)("standardize vs the seed's numpy code (%s)", (name) => {
  const golden = loadGolden(name);
  const result = standardize(goldenInput(golden), golden.rows, golden.cols);

  it("keeps the same columns", () => {
    expect(Array.from(result.kept)).toEqual(golden.standardize.kept);
  });

  it("has the same medians, means and stds", () => {
    golden.standardize.medians.forEach((m, c) => expect(result.medians[c]!).toBeCloseTo(m, 5));
    for (const c of golden.standardize.kept) {
      const mean = golden.standardize.means[c]!;
      const std = golden.standardize.stds[c]!;
      expect(Math.abs(result.means[c]! - mean)).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(mean)));
      expect(Math.abs(result.stds[c]! - std)).toBeLessThanOrEqual(TOL * Math.max(1, std));
    }
  });

  it("gives the same z-scores within 1e-5", () => {
    expect(result.data.length).toBe(golden.standardize.z.length);
    let worst = 0;
    golden.standardize.z.forEach((z, i) => (worst = Math.max(worst, Math.abs(result.data[i]! - z))));
    expect(worst).toBeLessThanOrEqual(TOL);
  });
});

describe("standardize invariants", () => {
  const rows = 2000;
  const cols = 9;
  const rng = createRng(3);
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) data[r * cols + c] = c * 10 + (c + 1) * rng.next() - (rng.next() < 0.1 ? Number.NaN : 0);
    data[r * cols + 4] = 7; // constant: dropped
    data[r * cols + 6] = Number.NaN; // all-NaN: median 0, then constant: dropped
  }

  it("gives columns with mean ≈ 0 and population sd ≈ 1 (within 1e-5)", () => {
    const { data: z, kept } = standardize(data, rows, cols);
    expect(Array.from(kept)).toEqual([0, 1, 2, 3, 5, 7, 8]);
    for (let j = 0; j < kept.length; j++) {
      let sum = 0,
        squares = 0;
      for (let r = 0; r < rows; r++) sum += z[r * kept.length + j]!;
      const mean = sum / rows;
      for (let r = 0; r < rows; r++) squares += (z[r * kept.length + j]! - mean) ** 2;
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(Math.abs(Math.sqrt(squares / rows) - 1)).toBeLessThan(1e-5);
    }
  });

  it("reports all-NaN columns with median 0 and drops them", () => {
    const result = standardize(data, rows, cols);
    expect(result.medians[6]).toBe(0);
    expect(Array.from(result.dropped)).toEqual([4, 6]);
  });

  it("imputes NaN with the median of the present values", () => {
    // 3 rows x 2 cols: column 0 = [1, 3, NaN], column 1 = [NaN, 10, 4]
    const tiny = Float32Array.of(1, Number.NaN, 3, 10, Number.NaN, 4);
    const result = standardize(tiny, 3, 2);
    expect(result.medians[0]).toBe(2); // median of {1, 3}: mean of the two middles
    expect(result.medians[1]).toBe(7); // median of {10, 4}
    // column 0 becomes [1, 3, 2]: mean 2, population sd sqrt(2/3)
    expect(result.data[4]!).toBeCloseTo(0, 6);
    expect(result.data[0]!).toBeCloseTo(-1 / Math.sqrt(2 / 3), 6);
  });

  it("is deterministic byte for byte", () => {
    const a = standardize(data, rows, cols).data;
    const b = standardize(data, rows, cols).data;
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
  });
});
