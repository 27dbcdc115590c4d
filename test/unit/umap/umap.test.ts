import { describe, expect, test } from "vitest";
import { CancelledError } from "../../../src/core/errors.ts";
import { createRng } from "../../../src/core/rng.ts";
import { bruteForceKnn } from "../../../src/knn/index.ts";
import { applyLinearMap } from "../../../src/numeric/linear-map.ts";
import { fitLda } from "../../../src/numeric/lda.ts";
import { type UmapOptions, projectUmap } from "../../../src/umap/index.ts";
import { labelAgreement } from "../../../src/umap/quality.ts";
import { classData } from "./class-data.ts";

const options = (over: Partial<UmapOptions> = {}): UmapOptions => ({
  seed: 11,
  nNeighbors: 30,
  minDist: 0.1,
  targetWeight: 0.5,
  threads: 1,
  signal: new AbortController().signal,
  progress: () => {},
  ...over,
});

function split(rows: number, fit: number, seed: number): { fitRows: Int32Array; held: Int32Array } {
  const fitRows = createRng(seed).sample(rows, fit);
  const inFit = new Uint8Array(rows);
  for (const row of fitRows) inFit[row] = 1;
  return { fitRows, held: Int32Array.from({ length: rows }, (_, i) => i).filter((i) => inFit[i] === 0) };
}

/** The same majority-of-10 measure in feature space: the best a placement by features can do. */
function featureSpaceAgreement(data: Float32Array, dims: number, labels: Int8Array, fitRows: Int32Array, held: Int32Array): number {
  const queries = new Float32Array(held.length * dims);
  held.forEach((row, i) => queries.set(data.subarray(row * dims, row * dims + dims), i * dims));
  const knn = bruteForceKnn(data, dims, fitRows, queries, 10);
  let agree = 0;
  held.forEach((row, i) => {
    const votes = new Int32Array(6);
    for (let j = 0; j < 10; j++) votes[labels[knn.indices[i * 10 + j]!]!]!++;
    const own = votes[labels[row]!]!;
    if (votes.every((count, label) => label === labels[row] || count < own)) agree++;
  });
  return agree / held.length;
}

describe("projectUmap quality on class-structured data", () => {
  test("held-out rows are placed with their own class about as well as the fitted rows, and beat LDA", async () => {
    const rows = 3000;
    const { features, labels } = classData(rows, 24, 7, 0.8);
    const { fitRows, held } = split(rows, 1500, 1);
    const progress: number[] = [];
    const out = await projectUmap(features, labels, fitRows, options({ progress: (f) => progress.push(f) }));
    expect(out.coords.every(Number.isFinite)).toBe(true);
    const fitShare = labelAgreement(out.coords, labels, fitRows, fitRows);
    const heldShare = labelAgreement(out.coords, labels, fitRows, held);
    const featureShare = featureSpaceAgreement(features.data, features.cols, labels, fitRows, held);
    const lda = applyLinearMap(features.data, rows, fitLda(features.data, rows, features.cols, fitRows, labels, 3));
    const ldaHeld = labelAgreement(lda, labels, fitRows, held);
    const umapShares = `umap fit ${fitShare.toFixed(3)} held ${heldShare.toFixed(3)}`;
    console.log(`${umapShares} | feature-space held ${featureShare.toFixed(3)} | lda held ${ldaHeld.toFixed(3)}`);
    expect(heldShare).toBeGreaterThanOrEqual(0.9 * fitShare);
    expect(heldShare).toBeGreaterThanOrEqual(ldaHeld);
    // placement by features cannot beat the features' own neighbourhoods by much
    expect(heldShare).toBeGreaterThan(featureShare - 0.05);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((f, i) => i === 0 || f >= progress[i - 1]!)).toBe(true);
    expect(out.info).toMatchObject({ knn: "exact", n_neighbors: 30, fit_epochs: 500, transform_epochs: 100, transformed_rows: 1500 });
  });
});

describe("projectUmap determinism and edge cases", () => {
  const { features, labels } = classData(900, 12, 3, 0.8);
  const { fitRows } = split(900, 400, 2);

  test("same seed gives identical bytes, with 1 or 2 threads; another seed differs", async () => {
    const first = await projectUmap(features, labels, fitRows, options());
    const again = await projectUmap(features, labels, fitRows, options());
    const twoThreads = await projectUmap(features, labels, fitRows, options({ threads: 2 }));
    const otherSeed = await projectUmap(features, labels, fitRows, options({ seed: 12 }));
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(again.coords).equals(bytes(first.coords))).toBe(true);
    expect(bytes(twoThreads.coords).equals(bytes(first.coords))).toBe(true);
    expect(bytes(otherSeed.coords).equals(bytes(first.coords))).toBe(false);
  });

  test("a fit sample the size of the transformed set leaves the fitted layout alone", async () => {
    // umap-js 1.4 moves the fitted points when a transform batch has as many rows as the fit
    const { fitRows: half, held } = split(900, 450, 4);
    expect(held.length).toBe(half.length);
    const all = await projectUmap(features, labels, half, options());
    const fitOnly = await projectUmap(
      {
        rows: half.length,
        cols: features.cols,
        data: Float32Array.from(Array.from(half).flatMap((r) => Array.from(features.data.subarray(r * 12, r * 12 + 12)))),
      },
      Int8Array.from(half, (r) => labels[r]!),
      Int32Array.from(half, (_, i) => i),
      options(),
    );
    half.forEach((row, i) =>
      expect(Array.from(all.coords.subarray(row * 3, row * 3 + 3))).toEqual(Array.from(fitOnly.coords.subarray(i * 3, i * 3 + 3))),
    );
  });

  test("aborting between epochs throws CancelledError", async () => {
    const controller = new AbortController();
    const run = projectUmap(
      features,
      labels,
      fitRows,
      options({
        signal: controller.signal,
        progress: (_, detail) => {
          if (detail?.includes("epoch 3/")) controller.abort();
        },
      }),
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
  });

  test("tiny fit sets (1 row, fewer rows than n_neighbors, duplicates) give finite coordinates", async () => {
    for (const fit of [1, 2, 5]) {
      const out = await projectUmap(
        features,
        labels,
        Int32Array.from({ length: fit }, (_, i) => i * 7),
        options(),
      );
      expect(out.coords.every(Number.isFinite)).toBe(true);
    }
    const dupes = { rows: 40, cols: 2, data: new Float32Array(80).fill(1) };
    const out = await projectUmap(
      dupes,
      new Int8Array(40),
      Int32Array.from({ length: 20 }, (_, i) => i),
      options(),
    );
    expect(out.coords.every(Number.isFinite)).toBe(true);
  });

  test("rejects mismatched labels and empty fit samples", async () => {
    await expect(projectUmap(features, new Int8Array(3), fitRows, options())).rejects.toThrow(/labels/);
    await expect(projectUmap(features, labels, new Int32Array(0), options())).rejects.toThrow(/empty/);
  });
});
