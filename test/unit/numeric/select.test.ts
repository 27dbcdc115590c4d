import { describe, expect, it } from "vitest";
import { createRng } from "../../../src/core/rng.ts";
import { medianInPlace, selectInPlace } from "../../../src/numeric/select.ts";

function sortedCopy(values: Float64Array): Float64Array {
  return Float64Array.from(values).sort();
}

describe("selectInPlace / medianInPlace", () => {
  const rng = createRng(7);
  const cases: [string, Float64Array][] = [
    ["random", Float64Array.from({ length: 1001 }, () => rng.next())],
    ["many duplicates", Float64Array.from({ length: 1000 }, () => rng.int(3))],
    ["all equal", new Float64Array(64).fill(2.5)],
    ["sorted", Float64Array.from({ length: 500 }, (_, i) => i)],
    ["reversed", Float64Array.from({ length: 500 }, (_, i) => -i)],
    ["two values", Float64Array.of(3, 1)],
    ["one value", Float64Array.of(4)],
  ];

  it.each(cases)("puts the k-th smallest at k (%s)", (_label, values) => {
    const sorted = sortedCopy(values);
    for (const k of [0, values.length >> 1, values.length - 1]) {
      const work = Float64Array.from(values);
      expect(selectInPlace(work, work.length, k)).toBe(sorted[k]);
      for (let i = 0; i < k; i++) expect(work[i]!).toBeLessThanOrEqual(sorted[k]!);
    }
  });

  it.each(cases)("median equals numpy's definition (%s)", (_label, values) => {
    const sorted = sortedCopy(values);
    const n = values.length;
    const expected = n % 2 === 1 ? sorted[n >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
    expect(medianInPlace(Float64Array.from(values), n)).toBe(expected);
  });
});
