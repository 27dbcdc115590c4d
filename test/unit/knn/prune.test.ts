import { describe, expect, it } from "vitest";
import { bruteForceKnn, knnSearch, knnSearchWithStats, type KnnResult } from "../../../src/knn/index.ts";
import { fitSample, projectForPruning } from "../../../src/knn/prune-fit.ts";
import { squaredDistance64 } from "../../../src/knn/exact.ts";
import { gather, gaussianMatrix, lowRankMatrix, range } from "./helpers.ts";

// NOTE: the workers run the compiled JS under dist/, so `npm run build` must have run first.

function expectSameBytes(actual: KnnResult, expected: KnnResult): void {
  expect(Buffer.from(actual.indices.buffer)).toEqual(Buffer.from(expected.indices.buffer));
  expect(Buffer.from(actual.distances.buffer)).toEqual(Buffer.from(expected.distances.buffer));
}

function oracle(data: Float32Array, dims: number, groups: Int32Array[], queries: Int32Array, k: number): KnnResult[] {
  return groups.map((group) => bruteForceKnn(data, dims, group, gather(data, dims, queries), k));
}

const dims = 200;
const groups = [range(0, 2400), range(2400, 3000)];
// held-out rows plus some reference rows (their own distance 0 and exact copies below)
const queries = Int32Array.from([...range(3000, 4200), ...range(0, 4000).filter((r) => r % 97 === 0)]);

/** Low-rank rows with exact duplicates inside and across the groups, so ties are frequent. */
function lowRankWithTies(): Float32Array {
  const data = lowRankMatrix(4200, dims, 4, 0.05, 31);
  for (let c = 0; c < 30; c++) {
    const source = c * 37;
    for (const target of [1000 + c, 2500 + c, 3100 + c]) data.copyWithin(target * dims, source * dims, source * dims + dims);
  }
  return data;
}

describe("lower-bound pruning returns the float64 brute force's bytes", () => {
  it("engages on low-rank data next to the float32 kernel, with ties, for both groups and 1 or 2 threads", async () => {
    const data = lowRankWithTies();
    const expected = oracle(data, dims, groups, queries, 10);
    for (const threads of [1, 2]) {
      const { results, stats } = await knnSearchWithStats({ data, dims, groups, queries, k: 10, threads, kernel: "float32" });
      expect(stats.mode).toBe("pruned");
      expect(stats.prunedPairs).toBe(queries.length * 3000);
      // most pairs never need their full distance
      expect(stats.survivors).toBeLessThan(0.05 * stats.prunedPairs);
      expect(stats.survivors).toBeGreaterThanOrEqual(queries.length * 2 * 10);
      results.forEach((result, g) => expectSameBytes(result, expected[g]!));
    }
    // next to the int16 kernel (twice as fast) a rank-31 bound pass cannot pay at 200 dims even
    // with no survivors, so auto does not fit it; same bytes
    const { results: byCodes, stats } = await knnSearchWithStats({ data, dims, groups, queries, k: 10, threads: 2 });
    expect(stats.rank).toBe(0);
    byCodes.forEach((result, g) => expectSameBytes(result, expected[g]!));
    // the duplicated rows really tie: query 0 sees itself and its copies at distance 0
    const [train, val] = await knnSearch({ data, dims, groups, queries: Int32Array.from([0]), k: 3, threads: 1, prune: "always" });
    expect(Array.from(train!.indices.subarray(0, 2))).toEqual([0, 1000]);
    expect(Array.from(train!.distances.subarray(0, 2))).toEqual([0, 0]);
    expect([val!.indices[0], val!.distances[0]]).toEqual([2500, 0]);
  });

  it("stays exact on isotropic Gaussian data, where auto mode falls back to brute force", async () => {
    const data = gaussianMatrix(4200, dims, 5);
    const expected = oracle(data, dims, groups, queries, 10);
    const { results: auto, stats: autoStats } = await knnSearchWithStats({ data, dims, groups, queries, k: 10, threads: 2 });
    // the top axes hold far less than 85% of isotropic variance: auto does not even project
    expect(autoStats.rank).toBe(0);
    expect(autoStats.mode).toBe("brute");
    auto.forEach((result, g) => expectSameBytes(result, expected[g]!));
    // forced pruning with a weak bound is slow but must be just as exact
    const forcedSearch = await knnSearchWithStats({ data, dims, groups, queries, k: 10, threads: 2, prune: "always" });
    const { results: forced, stats: forcedStats } = forcedSearch;
    expect(forcedStats.mode).toBe("pruned");
    expect(forcedStats.survivors / forcedStats.prunedPairs).toBeGreaterThan(0.2); // the bound is weak here
    forced.forEach((result, g) => expectSameBytes(result, expected[g]!));
  });

  it("is exact on coarse integer data full of equal distances", async () => {
    const data = lowRankMatrix(4200, dims, 3, 0, 8).map(Math.round);
    const expected = oracle(data, dims, groups, queries, 12);
    const { results, stats } = await knnSearchWithStats({ data, dims, groups, queries, k: 12, threads: 2, prune: "always" });
    expect(stats.survivors).toBeLessThan(stats.prunedPairs);
    results.forEach((result, g) => expectSameBytes(result, expected[g]!));
  });
});

describe("projectForPruning", () => {
  it("gives a lower bound of every float64 distance within its error budget", () => {
    const data = lowRankMatrix(600, 60, 5, 0.2, 3);
    const p = projectForPruning(data, 60, fitSample([range(0, 600)]), 11)!;
    let tight = 0;
    for (let a = 0; a < 600; a += 7) {
      for (let b = 1; b < 600; b += 5) {
        let bound = 0;
        for (let j = 0; j < p.pdp; j++) bound += (p.coords[a * p.pdp + j]! - p.coords[b * p.pdp + j]!) ** 2;
        const exact = squaredDistance64(data, a * 60, data, b * 60, 60);
        expect(bound).toBeLessThanOrEqual(exact + p.coef * (p.centeredNorms[a]! + p.centeredNorms[b]!));
        if (bound > 0.8 * exact) tight++;
      }
    }
    // and it is a useful bound on low-rank data, not a trivial one
    expect(tight).toBeGreaterThan(0.5 * 86 * 120);
  });
});
