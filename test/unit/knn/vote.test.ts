import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { bruteForceKnn, knnSearch, weightedVote, type KnnResult } from "../../../src/knn/index.ts";
import { gather, gaussianMatrix, range } from "./helpers.ts";

interface GoldenCase {
  k: number;
  dims: number;
  n_classes: number;
  train: number[];
  train_labels: number[];
  test: number[];
  neighbour_indices: number[][];
  neighbour_distances: number[][];
  predicted: number[];
}

// produced by scripts/golden/knn_golden.py (scikit-learn KNeighborsClassifier, weights="distance")
const goldenCases = ["low-dim", "mid-dim"].map((name) => {
  const url = new URL(`../../fixtures/golden/knn/${name}.json`, import.meta.url);
  return [name, JSON.parse(readFileSync(url, "utf8")) as GoldenCase] as const;
});

describe.each(goldenCases)("weightedVote against scikit-learn (%s)", (_name, golden) => {
  const trainRows = golden.train_labels.length;
  const data = Float32Array.from([...golden.train, ...golden.test]);
  const labels = Int8Array.from(golden.train_labels);

  it("predicts sklearn's classes from sklearn's own neighbours, zero-distance cases included", () => {
    const neighbours: KnnResult = {
      indices: Int32Array.from(golden.neighbour_indices.flat()),
      distances: Float64Array.from(golden.neighbour_distances.flat()),
    };
    expect(golden.neighbour_distances.some((row) => row[0] === 0)).toBe(true);
    expect(Array.from(weightedVote(neighbours, golden.k, labels, golden.n_classes))).toEqual(golden.predicted);
  });

  it("predicts sklearn's classes from our search, with sklearn's neighbour distances", async () => {
    const queries = range(trainRows, data.length / golden.dims);
    const [result] = await knnSearch({ data, dims: golden.dims, groups: [range(0, trainRows)], queries, k: golden.k, threads: 2 });
    expect(Array.from(weightedVote(result!, golden.k, labels, golden.n_classes))).toEqual(golden.predicted);
    // the data are multiples of 1/8, so both sides' distances are exact and must agree
    const sorted = golden.neighbour_distances.flat();
    Array.from(result!.distances).forEach((d, i) => expect(d).toBeCloseTo(sorted[i]!, 12));
  });
});

describe("weightedVote rules", () => {
  it("lets only zero-distance neighbours vote and breaks ties to the lowest class", () => {
    const labels = Int8Array.from([2, 1, 0, 0]);
    const result: KnnResult = {
      indices: Int32Array.from([0, 1, 2, 3, /* second query */ 2, 1, 0, -1]),
      distances: Float64Array.from([0, 0, 0.1, 0.1, 1, 1, 4, Infinity]),
    };
    // query 0: rows 0 (class 2) and 1 (class 1) tie at weight 1, the nearer rows 2, 3 don't vote
    // query 1: class 0 gets 1, class 1 gets 1, class 2 gets 0.25 -> tie, lowest code 0
    expect(Array.from(weightedVote(result, 4, labels, 3))).toEqual([1, 0]);
  });
});

describe("uniform votes cross-checked with ml-knn", () => {
  it("has the same neighbours as ml-knn wherever the majority is unambiguous", async () => {
    const KNN = createRequire(import.meta.url)("ml-knn") as new (
      x: number[][],
      y: number[],
      o: { k: number },
    ) => { predict(x: number[][]): number[] };
    const dims = 6;
    const data = gaussianMatrix(700, dims, 31);
    const labels = Int8Array.from({ length: 700 }, (_, i) => (data[i * dims]! > 0 ? 1 : 0) + (data[i * dims + 1]! > 0.5 ? 1 : 0));
    const train = range(0, 500);
    const queries = range(500, 700);
    const rows = (ids: Int32Array): number[][] => Array.from(ids, (r) => Array.from(data.subarray(r * dims, (r + 1) * dims)));
    const reference = new KNN(
      rows(train),
      Array.from(train, (r) => labels[r]!),
      { k: 7 },
    ).predict(rows(queries));
    const [ours] = await knnSearch({ data, dims, groups: [train], queries, k: 7, threads: 2 });
    expect(ours).toEqual(bruteForceKnn(data, dims, train, gather(data, dims, queries), 7));
    let compared = 0;
    queries.forEach((_, q) => {
      const counts = [0, 0, 0];
      for (const row of ours!.indices.subarray(q * 7, q * 7 + 7)) counts[labels[row]!]!++;
      const best = Math.max(...counts);
      if (counts.filter((c) => c === best).length > 1) return;
      compared++;
      expect(reference[q]).toBe(counts.indexOf(best));
    });
    expect(compared).toBeGreaterThan(150);
  });
});
