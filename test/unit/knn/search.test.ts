import { describe, expect, it } from "vitest";
import { CancelledError } from "../../../src/core/errors.ts";
import { bruteForceKnn, createKnnIndex, knnSearch, knnSearchWithStats, mergeNeighbours, type KnnResult } from "../../../src/knn/index.ts";
import { gather, gaussianMatrix, range } from "./helpers.ts";

// NOTE: the workers run the compiled JS under dist/, so `npm run build` must have run first.

function expectSameBytes(actual: KnnResult, expected: KnnResult): void {
  expect(Buffer.from(actual.indices.buffer)).toEqual(Buffer.from(expected.indices.buffer));
  expect(Buffer.from(actual.distances.buffer)).toEqual(Buffer.from(expected.distances.buffer));
}

function oracle(data: Float32Array, dims: number, groups: Int32Array[], queries: Int32Array, k: number): KnnResult[] {
  return groups.map((group) => bruteForceKnn(data, dims, group, gather(data, dims, queries), k));
}

function* groupRowsEqualTo(data: Float32Array, dims: number, row: number, end: number): Generator<number> {
  for (let r = 0; r < end; r++) {
    let same = true;
    for (let j = 0; j < dims && same; j++) same = data[r * dims + j] === data[row * dims + j];
    if (same) yield r;
  }
}

describe("knnSearch equals the float64 brute force", () => {
  it.each([5, 57, 230])("on Gaussian data with %i dims, for two groups in one pass", async (dims) => {
    const data = gaussianMatrix(1500, dims, dims);
    const groups = [range(0, 900), range(900, 1200)];
    const queries = range(1200, 1500);
    const results = await knnSearch({ data, dims, groups, queries, k: 10, threads: 2 });
    const expected = oracle(data, dims, groups, queries, 10);
    results.forEach((result, g) => expectSameBytes(result, expected[g]!));
  });

  it("orders exact ties by row id, including many duplicates past the shortlist", async () => {
    // every row is a point of a coarse integer grid, so distances repeat a lot; 40 copies of
    // one point exceed the shortlists of both kernels and force the limit pass
    const dims = 7;
    const rows = 1200;
    const data = gaussianMatrix(rows, dims, 4).map(Math.round);
    for (let r = 0; r < 40; r++) data.set(data.subarray(0, dims), (100 + r) * dims);
    const copiesOfRow0 = Array.from(groupRowsEqualTo(data, dims, 0, 1000));
    const groups = [range(0, 1000)];
    const queries = Int32Array.from([0, 1, 2, 1000, 1100, 1199]);
    const float32 = await knnSearchWithStats({ data, dims, groups, queries, k: 12, threads: 2, kernel: "float32" });
    expect(float32.stats.fallbacks).toBeGreaterThan(0);
    const [byFloat32] = float32.results;
    const int16 = await knnSearchWithStats({ data, dims, groups, queries, k: 12, threads: 2 });
    expect(int16.stats.codeFallbacks).toBeGreaterThan(0);
    const [result] = int16.results;
    expectSameBytes(result!, oracle(data, dims, groups, queries, 12)[0]!);
    expectSameBytes(byFloat32!, result!);
    // query 0 has over 40 rows at distance 0 (itself and the copies): the lowest ids win
    expect(copiesOfRow0.length).toBeGreaterThan(40);
    expect(Array.from(result!.indices.subarray(0, 12))).toEqual(copiesOfRow0.slice(0, 12));
    expect(Array.from(result!.distances.subarray(0, 12))).toEqual(new Array(12).fill(0));
  });

  it("returns each search's own statistics, also when two run at once", async () => {
    const dims = 7;
    const tied = gaussianMatrix(1200, dims, 4).map(Math.round);
    for (let r = 0; r < 40; r++) tied.set(tied.subarray(0, dims), (100 + r) * dims);
    const request = { dims, groups: [range(0, 1000)], queries: Int32Array.from([0, 1, 2, 1000]), k: 12, threads: 1 };
    const [withTies, plain] = await Promise.all([
      knnSearchWithStats({ ...request, data: tied }),
      knnSearchWithStats({ ...request, data: gaussianMatrix(1200, dims, 5) }),
    ]);
    expect(withTies.stats.codeFallbacks).toBeGreaterThan(0);
    expect(plain.stats.codeFallbacks).toBe(0);
    expect(plain.stats.fallbacks).toBe(0);
    expect(plain.stats.mode).toBe("brute");
    expectSameBytes(withTies.results[0]!, oracle(tied, dims, request.groups, request.queries, 12)[0]!);
  });

  it("breaks a constructed distance tie towards the lower row id", async () => {
    // reference rows at +-e_j are all at distance 1 from the query at the origin
    const dims = 5;
    const data = new Float32Array(11 * dims);
    for (let j = 0; j < dims; j++) {
      data[(1 + 2 * j) * dims + j] = 1;
      data[(2 + 2 * j) * dims + j] = -1;
    }
    const [result] = await knnSearch({
      data,
      dims,
      groups: [Int32Array.from([9, 3, 7, 1, 5, 2])],
      queries: Int32Array.from([0]),
      k: 4,
      threads: 1,
    });
    expect(Array.from(result!.indices)).toEqual([1, 2, 3, 5]);
    expect(Array.from(result!.distances)).toEqual([1, 1, 1, 1]);
  });

  it("pads groups smaller than k with -1 / Infinity", async () => {
    const dims = 9;
    const data = gaussianMatrix(50, dims, 3);
    const [small, empty] = await knnSearch({
      data,
      dims,
      groups: [Int32Array.from([4, 8, 15]), new Int32Array(0)],
      queries: Int32Array.from([1, 2]),
      k: 5,
      threads: 2,
    });
    expect(Array.from(small!.indices.subarray(0, 5)).slice(3)).toEqual([-1, -1]);
    expect(Array.from(small!.distances.subarray(5, 10)).slice(3)).toEqual([Infinity, Infinity]);
    expect(Array.from(empty!.indices)).toEqual(new Array(10).fill(-1));
    expectSameBytes(small!, oracle(data, dims, [Int32Array.from([4, 8, 15])], Int32Array.from([1, 2]), 5)[0]!);
  });

  it("gives identical bytes with 1, 2 and 3 threads", async () => {
    const dims = 31;
    const data = gaussianMatrix(2000, dims, 11);
    const request = { data, dims, groups: [range(0, 1500), range(1500, 1700)], queries: range(1000, 2000), k: 10 };
    const [one, two, three] = await Promise.all([1, 2, 3].map((threads) => knnSearch({ ...request, threads })));
    for (const other of [two!, three!]) other.forEach((result, g) => expectSameBytes(result, one![g]!));
  });

  it("reports progress up to 1 and merges groups like a search over their union", async () => {
    const dims = 12;
    const data = gaussianMatrix(800, dims, 5);
    const progress: number[] = [];
    const request = { data, dims, queries: range(600, 800), k: 8, threads: 2 };
    const [a, b] = await knnSearch({ ...request, groups: [range(0, 400), range(400, 600)], onProgress: (f: number) => progress.push(f) });
    const [union] = await knnSearch({ ...request, groups: [range(0, 600)] });
    expectSameBytes(mergeNeighbours(a!, b!, 8), union!);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  });
});

describe("knnSearch cancellation", () => {
  it("rejects with CancelledError before finishing when aborted mid-run", async () => {
    const dims = 230;
    const data = gaussianMatrix(3000, dims, 8);
    const controller = new AbortController();
    let last = 0;
    const search = knnSearch({
      data,
      dims,
      groups: [range(0, 3000)],
      queries: range(0, 3000),
      k: 10,
      threads: 2,
      signal: controller.signal,
      onProgress: (fraction) => {
        last = fraction;
        controller.abort();
      },
    });
    await expect(search).rejects.toBeInstanceOf(CancelledError);
    expect(last).toBeLessThan(0.5);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const search = knnSearch({
      data: gaussianMatrix(10, 4, 1),
      dims: 4,
      groups: [range(0, 10)],
      queries: range(0, 2),
      k: 3,
      threads: 1,
      signal: controller.signal,
    });
    await expect(search).rejects.toBeInstanceOf(CancelledError);
  });
});

describe("createKnnIndex", () => {
  it("answers outside vectors like the brute force, over repeated and concurrent calls", async () => {
    const dims = 44;
    const data = gaussianMatrix(1000, dims, 21);
    const reference = range(100, 1000);
    const index = await createKnnIndex(data, dims, reference, { threads: 2 });
    try {
      const single = gaussianMatrix(1, dims, 99);
      const batch = gaussianMatrix(130, dims, 98);
      const [r1, r2] = await Promise.all([index.search(single, 10), index.search(batch, 7)]);
      expectSameBytes(r1!, bruteForceKnn(data, dims, reference, single, 10));
      expectSameBytes(r2!, bruteForceKnn(data, dims, reference, batch, 7));
    } finally {
      await index.close();
    }
  });

  it("holds only its reference rows: given unsorted, with ties, it answers with row ids of the data like the brute force", async () => {
    const dims = 9;
    const data = gaussianMatrix(800, dims, 31);
    for (const row of [650, 210, 433]) data.copyWithin(row * dims, 77 * dims, 78 * dims); // ties at distance 0
    data[5 * dims] = NaN; // outside the reference: never read
    const reference = Int32Array.from([650, 77, 433, ...range(300, 420), 210, ...range(700, 800), 12]);
    const query = data.slice(77 * dims, 78 * dims);
    const batch = gaussianMatrix(40, dims, 32);
    for (const threads of [1, 2]) {
      const index = await createKnnIndex(data, dims, reference, { threads });
      try {
        const lone = await index.search(query, 8);
        expectSameBytes(lone, bruteForceKnn(data, dims, reference, query, 8));
        expect(Array.from(lone.indices.subarray(0, 4))).toEqual([77, 210, 433, 650]);
        expectSameBytes(await index.search(batch, 5), bruteForceKnn(data, dims, reference, batch, 5));
      } finally {
        await index.close();
      }
    }
  });

  it("names the data row that holds a NaN, not its place in the index", async () => {
    const dims = 4;
    const data = gaussianMatrix(50, dims, 3);
    data[37 * dims + 2] = Infinity;
    await expect(createKnnIndex(data, dims, range(30, 50), { threads: 1 })).rejects.toThrow(/row 37 holds a NaN or infinite value/);
  });

  it("splits a lone query over the workers by reference slices, with ties across the slices kept in row order", async () => {
    const dims = 12;
    const data = gaussianMatrix(900, dims, 5);
    // rows 300, 500, 700 and 899 are copies of row 100: five ties at distance 0, in every slice
    for (const row of [300, 500, 700, 899]) data.copyWithin(row * dims, 100 * dims, 101 * dims);
    const reference = range(0, 900);
    const query = data.slice(100 * dims, 101 * dims);
    for (const threads of [2, 3]) {
      const index = await createKnnIndex(data, dims, reference, { threads });
      try {
        const result = await index.search(query, 6);
        expectSameBytes(result, bruteForceKnn(data, dims, reference, query, 6));
        expect(Array.from(result.indices.subarray(0, 5))).toEqual([100, 300, 500, 700, 899]);
      } finally {
        await index.close();
      }
    }
  });
});
