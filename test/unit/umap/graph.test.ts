import { expect, test } from "vitest";
import { UMAP } from "umap-js";
import { bruteForceKnn } from "../../../src/knn/index.ts";
import { categoricalIntersection, fuzzySimplicialSet } from "../../../src/umap/fuzzy.ts";
import { fitPositions, selfFirstLists } from "../../../src/umap/neighbours.ts";
import { classData } from "./class-data.ts";

/** The parts of umap-js's graph construction we replace, reached past their `private` typing. */
interface UmapInternals {
  X: number[][];
  fuzzySimplicialSet(X: number[][], k: number, mix: number): { getAll(): { row: number; col: number; value: number }[] };
  categoricalSimplicialSetIntersection(
    graph: unknown,
    target: number[],
    farDist: number,
  ): { getAll(): { row: number; col: number; value: number }[] };
}

test("the typed-array fuzzy graph equals umap-js's Map-based one on the same exact kNN", () => {
  const rows = 300;
  const k = 15;
  const { features, labels } = classData(rows, 8, 5, 0.8);
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  const knn = selfFirstLists(bruteForceKnn(features.data, 8, all, features.data, k), 0, k, fitPositions(rows, all));
  const umap = new UMAP({ nNeighbors: k });
  umap.setPrecomputedKNN(
    Array.from({ length: rows }, (_, i) => Array.from(knn.indices.subarray(i * k, i * k + k))),
    Array.from({ length: rows }, (_, i) => Array.from(knn.distances.subarray(i * k, i * k + k))),
  );
  const internals = umap as unknown as UmapInternals;
  const X = Array.from({ length: rows }, () => [0]);
  const theirs = internals.categoricalSimplicialSetIntersection(internals.fuzzySimplicialSet(X, k, 1), Array.from(labels), 5);
  const ours = categoricalIntersection(fuzzySimplicialSet(knn), labels, 0.5);
  const expected = theirs.getAll().filter((e) => e.value !== 0);
  expect(ours.values.length).toBe(expected.length);
  expected.forEach((entry, at) => {
    expect(ours.indices[at]).toBe(entry.col);
    expect(ours.indptr[entry.row]! <= at && at < ours.indptr[entry.row + 1]!).toBe(true);
    expect(ours.values[at]).toBeCloseTo(entry.value, 12);
  });
});
