import { describe, expect, it } from "vitest";
import { createRng } from "../../../src/core/rng.ts";
import { assignNearest } from "../../../src/numeric/kmeans-assign.ts";
import { streamSquaredDistances, type PointSet } from "../../../src/numeric/kmeans-kernel.ts";
import { gaussian, meanCentres, randomPoints } from "./kmeans-fixture.ts";

// NOTE: the kernel is dist/wasm/kmeans-kernel.wasm, so `npm run build` must have run first.

/** The reference: Σ_j (x_j - c_j)² in float64, in j order; argmin with ties to the lower index. */
function bruteForce(points: PointSet, centres: Float64Array, k: number): { labels: Int32Array; inertia: number } {
  const { data, cols, rowIndex, count } = points;
  const labels = new Int32Array(count);
  let inertia = 0;
  for (let s = 0; s < count; s++) {
    const base = (rowIndex ? rowIndex[s]! : s) * cols;
    let min = Infinity;
    for (let c = 0; c < k; c++) {
      let d = 0;
      for (let j = 0; j < cols; j++) d += (data[base + j]! - centres[c * cols + j]!) ** 2;
      if (d < min) [min, labels[s]] = [d, c];
    }
    inertia += min;
  }
  return { labels, inertia };
}

/** The plain float32 argmin of the kernel's distances, without the float64 re-check. */
function float32Argmin(points: PointSet, centres: Float64Array, k: number): Int32Array {
  const labels = new Int32Array(points.count);
  streamSquaredDistances(points, centres, k, (first, count, distances, width) => {
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (distances[i * width + c]! < distances[i * width + best]!) best = c;
      labels[first + i] = best;
    }
  });
  return labels;
}

describe("assignNearest", () => {
  const shapes = [
    { cols: 1, k: 2, count: 7 },
    { cols: 3, k: 5, count: 101 },
    { cols: 4, k: 4, count: 64 },
    { cols: 17, k: 8, count: 2501 },
    { cols: 230, k: 13, count: 300 },
    { cols: 224, k: 1, count: 9 },
  ];

  it.each(shapes)("labels are the float64 argmin on random data (cols $cols, k $k, $count points)", ({ cols, k, count }) => {
    const rng = createRng(cols * 1000 + k);
    const data = randomPoints(rng, count, cols);
    const centres = meanCentres(rng, data, count, cols, k);
    const points = { data, cols, count };
    const labels = new Int32Array(count);
    const inertia = assignNearest(points, centres, k, labels);
    const expected = bruteForce(points, centres, k);
    expect(Array.from(labels)).toEqual(Array.from(expected.labels));
    expect(Math.abs(inertia - expected.inertia) / expected.inertia).toBeLessThan(1e-5);
  });

  it("does not take a float32 distance that overflowed to Infinity for a farther centre", () => {
    // float64 distances 3.40282355277061e38 (centre 0) and 3.40282355273572e38 (centre 1): the
    // float32 sum is finite for centre 0 and overflows for centre 1, the true nearest
    const points = { data: Float32Array.from([0, 0]), cols: 2, count: 1 };
    const centres = Float64Array.from([1.3043859383539204e19, 1.3043775820655493e19, 1.304381650258572e19, 1.3043818701608976e19]);
    const labels = new Int32Array(1);
    assignNearest(points, centres, 2, labels);
    expect(labels[0]).toBe(bruteForce(points, centres, 2).labels[0]);
    expect(labels[0]).toBe(1);
  });

  it("reads points through rowIndex exactly as if they were copied out", () => {
    const rng = createRng(3);
    const cols = 10;
    const data = randomPoints(rng, 3000, cols);
    // a run of consecutive rows (copied in one piece), then random rows with repeats
    const rowIndex = Int32Array.from({ length: 2100 }, (_, i) => (i < 1200 ? 500 + i : rng.int(3000)));
    const packed = new Float32Array(rowIndex.length * cols);
    rowIndex.forEach((r, i) => packed.set(data.subarray(r * cols, (r + 1) * cols), i * cols));
    const centres = meanCentres(rng, data, 3000, cols, 6);
    const viaIndex = new Int32Array(rowIndex.length);
    const viaCopy = new Int32Array(rowIndex.length);
    const a = assignNearest({ data, cols, rowIndex, count: rowIndex.length }, centres, 6, viaIndex);
    const b = assignNearest({ data: packed, cols, count: rowIndex.length }, centres, 6, viaCopy);
    expect(Array.from(viaIndex)).toEqual(Array.from(viaCopy));
    expect(a).toBe(b);
  });

  it("settles near-ties and exact ties as the float64 argmin does, where float32 alone would not", () => {
    const rng = createRng(11);
    const cols = 64;
    const count = 4000;
    const k = 4;
    // centres 0 and 1 far apart, 2 a duplicate of 1 (exact ties go to 1), 3 out of the way
    const centres = new Float64Array(k * cols);
    for (let j = 0; j < cols; j++) {
      centres[j] = gaussian(rng) * 3 + 1 / 3;
      centres[cols + j] = gaussian(rng) * 3 - 1 / 7;
      centres[2 * cols + j] = centres[cols + j]!;
      centres[3 * cols + j] = 50;
    }
    // points on (or within 1e-12 … 1e-5 of) the bisecting hyperplane of centres 0 and 1
    const axis = Float64Array.from({ length: cols }, (_, j) => centres[cols + j]! - centres[j]!);
    const axisNorm2 = axis.reduce((s, v) => s + v * v, 0);
    const data = new Float32Array(count * cols);
    const offsets = [0, 1e-12, -1e-12, 1e-9, -1e-9, 1e-7, -1e-7, 1e-5, -1e-5];
    for (let s = 0; s < count; s++) {
      const noise = Float64Array.from({ length: cols }, () => gaussian(rng) * 4);
      const along = noise.reduce((acc, v, j) => acc + v * axis[j]!, 0) / axisNorm2;
      const eps = offsets[s % offsets.length]!;
      for (let j = 0; j < cols; j++) {
        data[s * cols + j] = (centres[j]! + centres[cols + j]!) / 2 + noise[j]! - along * axis[j]! + eps * axis[j]!;
      }
    }
    const points = { data, cols, count };
    const labels = new Int32Array(count);
    assignNearest(points, centres, k, labels);
    const expected = bruteForce(points, centres, k);
    expect(Array.from(labels)).toEqual(Array.from(expected.labels));
    expect(labels.includes(2)).toBe(false); // the duplicate never wins a tie
    // the data really are near-ties: float32 alone gets some of them wrong
    const naive = float32Argmin(points, centres, k);
    const wrong = naive.filter((label, s) => label !== expected.labels[s]).length;
    expect(wrong).toBeGreaterThan(count / 100);
  });
});
