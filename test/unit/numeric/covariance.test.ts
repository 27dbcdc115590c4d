import { describe, expect, it } from "vitest";
import { createRng } from "../../../src/core/rng.ts";
import { columnMeans, scatterMatrix } from "../../../src/numeric/covariance.ts";

/** Σ (x - c)(x - c)ᵀ the obvious way, for comparison. */
function naiveScatter(data: Float32Array, cols: number, rows: Int32Array, centres: Float64Array, group: Int32Array): Float64Array {
  const out = new Float64Array(cols * cols);
  rows.forEach((r, s) => {
    const c = group[s]! * cols;
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < cols; j++) {
        out[i * cols + j]! += (data[r * cols + i]! - centres[c + i]!) * (data[r * cols + j]! - centres[c + j]!);
      }
    }
  });
  return out;
}

describe("scatterMatrix", () => {
  const rng = createRng(11);
  // 7 columns (not a multiple of the 4-wide block) and 300 rows (not a multiple of the tile)
  const rows = 300;
  const cols = 7;
  const data = Float32Array.from({ length: rows * cols }, () => rng.next() * 4 - 1);

  it("equals the naive sum over a row subset, centred by the mean (relative 1e-12)", () => {
    const subset = Int32Array.from({ length: 257 }, (_, i) => (i * 7) % rows);
    const input = { data, rows, cols, rowIndex: subset };
    const mean = columnMeans(input);
    const got = scatterMatrix(input, mean);
    const want = naiveScatter(data, cols, subset, mean, new Int32Array(subset.length));
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w))));
  });

  it("centres each row by its own group's centre", () => {
    const all = Int32Array.from({ length: rows }, (_, i) => i);
    const group = Int32Array.from(all, (r) => r % 3);
    const centres = Float64Array.from({ length: 3 * cols }, () => rng.next());
    const got = scatterMatrix({ data, rows, cols }, centres, group);
    const want = naiveScatter(data, cols, all, centres, group);
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w))));
  });

  it("gives the same bytes after a larger call left other values in the kernel's memory", () => {
    const before = scatterMatrix({ data, rows, cols }, new Float64Array(cols));
    const wide = Float32Array.from({ length: 129 * 37 }, () => rng.next() * 9 - 3);
    scatterMatrix({ data: wide, rows: 129, cols: 37 }, new Float64Array(37));
    expect(Buffer.from(scatterMatrix({ data, rows, cols }, new Float64Array(cols)).buffer)).toEqual(Buffer.from(before.buffer));
  });

  it("is exactly symmetric", () => {
    const got = scatterMatrix({ data, rows, cols }, new Float64Array(cols));
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) expect(got[i * cols + j]).toBe(got[j * cols + i]);
  });
});
