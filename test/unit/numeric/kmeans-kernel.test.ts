import { describe, expect, it } from "vitest";
import { createRng } from "../../../src/core/rng.ts";
import { distanceBounds } from "../../../src/numeric/kmeans-error-bound.ts";
import { compactPoints, streamSquaredDistances, sumRowsByLabel, type PointSet } from "../../../src/numeric/kmeans-kernel.ts";
import { meanCentres, randomPoints } from "./kmeans-fixture.ts";

// NOTE: the kernel is dist/wasm/kmeans-kernel.wasm, so `npm run build` must have run first.

describe("the kernel's float32 distances", () => {
  it.each([
    { name: "unit scale", scale: 1, offset: 0 },
    { name: "far from the origin", scale: 1e-3, offset: 1e3 },
    { name: "tiny values (float32 underflow)", scale: 1e-21, offset: 0 },
  ])("stay inside the error bound of the float64 distance ($name)", ({ scale, offset }) => {
    const rng = createRng(5);
    const cols = 37;
    const k = 6;
    const count = 500;
    const data = randomPoints(rng, count, cols, scale, offset);
    const centres = meanCentres(rng, data, count, cols, k);
    const bounds = distanceBounds(centres, k, cols);
    let checked = 0;
    streamSquaredDistances({ data, cols, count }, centres, k, (first, n, distances, width) => {
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < k; c++) {
          let d = 0;
          for (let j = 0; j < cols; j++) d += (data[(first + i) * cols + j]! - centres[c * cols + j]!) ** 2;
          const kernel = distances[i * width + c]!;
          expect(Math.sqrt(d)).toBeGreaterThanOrEqual(bounds.lower(kernel, bounds.radii[c]!));
          expect(Math.sqrt(d)).toBeLessThanOrEqual(bounds.upper(kernel, bounds.radii[c]!));
          checked++;
        }
      }
    });
    expect(checked).toBe(count * k);
  });

  it("do not depend on where a point sits in a block, or on the points around it", () => {
    const rng = createRng(9);
    const cols = 21;
    const data = randomPoints(rng, 2500, cols);
    const centres = meanCentres(rng, data, 2500, cols, 3);
    const collect = (points: PointSet) => {
      const out = new Float32Array(points.count * 3);
      streamSquaredDistances(points, centres, 3, (first, n, distances, width) => {
        for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[(first + i) * 3 + c] = distances[i * width + c]!;
      });
      return out;
    };
    const forward = collect({ data, cols, count: 2500 });
    const reversed = collect({ data, cols, rowIndex: Int32Array.from({ length: 2500 }, (_, i) => 2499 - i), count: 2500 });
    const odd = collect({ data: data.subarray(7 * cols), cols, count: 1333 });
    for (let s = 0; s < 2500; s++) {
      for (let c = 0; c < 3; c++) expect(reversed[(2499 - s) * 3 + c]).toBe(forward[s * 3 + c]);
    }
    for (let s = 0; s < 1333; s++) expect(odd[s * 3]).toBe(forward[(s + 7) * 3]);
  });
});

describe("sumRowsByLabel", () => {
  it.each([
    { cols: 3, count: 2500, k: 5 },
    { cols: 224, count: 1500, k: 8 },
  ])("gives the scalar loop's float64 sums bit for bit (cols $cols, $count points, k $k)", ({ cols, count, k }) => {
    const rng = createRng(cols);
    const data = randomPoints(rng, 4000, cols, 3, 0.1);
    const rowIndex = Int32Array.from({ length: count }, (_, i) => (i % 5 === 0 ? rng.int(4000) : (7 * i) % 4000));
    const labels = Int32Array.from({ length: count }, () => rng.int(k - 1)); // centre k-1 gets nothing
    const expected = new Float64Array(k * cols);
    for (let s = 0; s < count; s++) {
      for (let j = 0; j < cols; j++) expected[labels[s]! * cols + j]! += data[rowIndex[s]! * cols + j]!;
    }
    const points = { data, cols, rowIndex, count };
    expect(Array.from(sumRowsByLabel(points, labels, k))).toEqual(Array.from(expected));
    expect(Array.from(sumRowsByLabel(compactPoints(points), labels, k))).toEqual(Array.from(expected));
  });
});
