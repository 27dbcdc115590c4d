import { describe, expect, it } from "vitest";
import { createRng } from "../../../src/core/rng.ts";
import { medianFloat32 } from "../../../src/numeric/median.ts";

/** numpy's median: sort, then the middle value or the mean of the two middle values. */
function sortMedian(values: Float32Array): number {
  const sorted = Float32Array.from(values).sort();
  const n = sorted.length;
  return n % 2 === 1 ? sorted[n >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

describe("medianFloat32 (radix select)", () => {
  const rng = createRng(7);
  const cases: [string, Float32Array][] = [
    ["random, odd count", Float32Array.from({ length: 1001 }, () => rng.next() * 200 - 100)],
    ["random, even count", Float32Array.from({ length: 4000 }, () => rng.next() * 2e6 - 1e6)],
    ["many duplicates", Float32Array.from({ length: 1000 }, () => rng.int(3) - 1)],
    ["all equal", new Float32Array(64).fill(2.5)],
    ["negatives only", Float32Array.from({ length: 501 }, (_, i) => -i * 0.37)],
    ["tiny magnitudes and signed zeros", Float32Array.of(-0, 0, 1e-30, -1e-30, 1e-38, -0, 3e-39, 0)],
    ["infinities", Float32Array.of(-Infinity, 1, 2, Infinity, Infinity)],
    ["two values", Float32Array.of(3, 1)],
    ["one value", Float32Array.of(-4)],
  ];

  it.each(cases)("equals the sort-based median exactly (%s)", (_label, values) => {
    const work = Float32Array.from(values);
    expect(medianFloat32(work)).toBe(sortMedian(values));
  });

  it("uses only the first `length` values", () => {
    const values = Float32Array.of(5, 1, 3, 1000, -1000);
    expect(medianFloat32(values, 3)).toBe(3);
  });
});
