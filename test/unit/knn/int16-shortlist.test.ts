import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { wasmPath } from "../../../src/core/paths.ts";
import {
  codesErrorBound,
  float32ErrorBound,
  kernelFilter,
  pushInto,
  scanTile,
  stageQuadCodes,
  stageThresholds,
} from "../../../src/knn/block-search.ts";
import { bindKernels } from "../../../src/knn/kernel-abi.ts";
import { squaredDistance64, TopList } from "../../../src/knn/exact.ts";
import { fillSharedMemory } from "../../../src/knn/layout.ts";
import { wasm } from "../../../src/knn/wasm-api.ts";
import { bruteForceKnn, createKnnIndex, knnSearch, knnSearchWithStats, type KnnResult } from "../../../src/knn/index.ts";
import { paddedCodeLength, quantizeRow, roundUpToFloat32 } from "../../../src/knn/quantize.ts";
import { gather, gaussianMatrix, range } from "./helpers.ts";

// NOTE: the workers run the compiled JS under dist/, so `npm run build` must have run first.

function expectSameBytes(actual: KnnResult, expected: KnnResult): void {
  expect(Buffer.from(actual.indices.buffer)).toEqual(Buffer.from(expected.indices.buffer));
  expect(Buffer.from(actual.distances.buffer)).toEqual(Buffer.from(expected.distances.buffer));
}

/** Gaussian rows, a heavy-tailed column mix, outliers 1e4 times longer, zero rows and duplicates. */
function awkwardMatrix(rows: number, dims: number, seed: number): Float32Array {
  const data = gaussianMatrix(rows, dims, seed);
  const tails = gaussianMatrix(rows, dims, seed + 1);
  for (let i = 0; i < data.length; i++) {
    // every 7th column: a ratio of Gaussians (Cauchy-like, very heavy tails)
    if (i % 7 === 3) data[i] = data[i]! / Math.max(Math.abs(tails[i]!), 1e-3);
  }
  for (let r = 5; r < rows; r += 97) for (let j = 0; j < dims; j++) data[r * dims + j]! *= 1e4;
  for (let r = 11; r < rows; r += 131) data.fill(0, r * dims, (r + 1) * dims);
  for (let r = 17; r < rows; r += 53) data.copyWithin(r * dims, (r - 1) * dims, r * dims); // row r = row r-1
  data[23 * dims] = 3e4; // one element dominating its row
  return data;
}

describe("quantizeRow", () => {
  it("keeps codes in int16, |A| under the overflow bound, and reports an error norm no smaller than the real one", () => {
    const dims = 230;
    const dpi = paddedCodeLength(dims);
    expect(dpi % 8).toBe(0);
    const rows = 400;
    const data = awkwardMatrix(rows, dims, 3);
    data.fill(1e-30, 7 * dims, 8 * dims); // tiny but non-zero values
    const codes = new Int16Array(rows * dpi).fill(99);
    const stats = { scale: 0, errorNorm: 0 };
    let sawZeroRow = false;
    for (let r = 0; r < rows; r++) {
      quantizeRow(data, r * dims, dims, codes, r * dpi, dpi, stats);
      expect(Math.fround(stats.scale)).toBe(stats.scale);
      expect(stats.scale).toBeGreaterThan(0);
      let codeSquares = 0;
      let errorSquares = 0;
      for (let j = 0; j < dims; j++) {
        const code = codes[r * dpi + j]!;
        expect(Math.abs(code)).toBeLessThanOrEqual(32767);
        codeSquares += code * code;
        errorSquares += (data[r * dims + j]! - stats.scale * code) ** 2;
      }
      for (let j = dims; j < dpi; j++) expect(codes[r * dpi + j]).toBe(0);
      // any two rows' |A_q| |A_x| < 2^31, so no i32 lane of the kernel can overflow
      expect(codeSquares).toBeLessThan(2 ** 31);
      expect(stats.errorNorm).toBeGreaterThanOrEqual(Math.sqrt(errorSquares));
      // the codes carry the row: error under 1e-3 of its length (0.5 sqrt(dims) / 46331 ~ 1.6e-4)
      const length = Math.sqrt(Array.from(data.subarray(r * dims, (r + 1) * dims)).reduce((s, v) => s + v * v, 0));
      expect(stats.errorNorm).toBeLessThanOrEqual(1e-3 * length);
      if (length === 0) sawZeroRow = true;
    }
    expect(sawZeroRow).toBe(true);
  });
});

describe("the int16 shortlist gives the float64 brute force's bytes", () => {
  // 7 and 100 dims leave most of the last 8-code step as zero padding
  it.each([7, 31, 100, 230])(
    "on heavy-tailed data with outliers, zero rows and duplicates (%i dims), same as the float32 kernel",
    async (dims) => {
      const rows = 2000;
      const data = awkwardMatrix(rows, dims, dims);
      const groups = [range(0, 1100), range(1100, 1500)];
      const queries = range(1000, rows); // 100 queries that are also reference rows
      const byCodes = await knnSearch({ data, dims, groups, queries, k: 10, threads: 2, kernel: "int16", prune: "never" });
      const byFloat32 = await knnSearch({ data, dims, groups, queries, k: 10, threads: 2, kernel: "float32", prune: "never" });
      groups.forEach((group, g) => {
        const expected = bruteForceKnn(data, dims, group, gather(data, dims, queries), 10);
        expectSameBytes(byCodes[g]!, expected);
        expectSameBytes(byFloat32[g]!, expected);
      });
    },
  );

  it("hands to the float32 kernel a query whose limit pass admits more than 4096 rows (5000 copies of it)", async () => {
    const dims = 8;
    const data = gaussianMatrix(6000, dims, 3);
    for (let r = 1; r <= 5000; r++) data.copyWithin(r * dims, 0, dims);
    const groups = [range(0, 6000)];
    const queries = Int32Array.from([0, 5500]);
    const request = { data, dims, groups, queries, k: 10, threads: 1, kernel: "int16", prune: "never" } as const;
    const {
      results: [result],
      stats,
    } = await knnSearchWithStats(request);
    expect(stats.codeFallbacks).toBeGreaterThan(0);
    expect(stats.fallbacks).toBeGreaterThan(0); // the float32 shortlist cannot prove 5001 ties either
    expectSameBytes(result!, bruteForceKnn(data, dims, groups[0]!, gather(data, dims, queries), 10));
    expect(Array.from(result!.indices.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("finishes the shortlists it cannot prove with a limit pass, e.g. 40 rows tied at the k-th distance", async () => {
    const dims = 16;
    const data = gaussianMatrix(1500, dims, 9);
    // 40 copies of row 0 around the query: more equal candidates than the shortlist holds
    for (let r = 0; r < 40; r++) data.set(data.subarray(0, dims), (200 + r) * dims);
    const groups = [range(0, 1200)];
    const queries = Int32Array.from([0, 5, 1300, 1400]);
    const request = { data, dims, groups, queries, k: 12, threads: 1, kernel: "int16", prune: "never" } as const;
    const {
      results: [result],
      stats,
    } = await knnSearchWithStats(request);
    expect(stats.codeFallbacks).toBeGreaterThan(0);
    expectSameBytes(result!, bruteForceKnn(data, dims, groups[0]!, gather(data, dims, queries), 12));
  });

  it("answers outside vectors (coded in the worker) like the float32 kernel, alone and in batches", async () => {
    const dims = 230;
    const data = awkwardMatrix(3000, dims, 21);
    const reference = range(0, 2500);
    const vectors = gather(data, dims, range(2500, 2600)).map((v, i) => v + ((i % 5) - 2) * 1e-3);
    const byCodes = await createKnnIndex(data, dims, reference, { threads: 2, kernel: "int16" });
    const byFloat32 = await createKnnIndex(data, dims, reference, { threads: 2, kernel: "float32" });
    try {
      const expected = bruteForceKnn(data, dims, reference, vectors, 10);
      expectSameBytes(await byCodes.search(vectors, 10), expected);
      expectSameBytes(await byFloat32.search(vectors, 10), expected);
      const lone = vectors.subarray(0, dims);
      expectSameBytes(await byCodes.search(lone, 10), bruteForceKnn(data, dims, reference, lone, 10));
    } finally {
      await byCodes.close();
      await byFloat32.close();
    }
  });
});

describe("magnitudes at the edges of float32", () => {
  // each case once broke a kernel: a scale product that underflowed to 0 (tiny values), or
  // squared norms that overflowed float32 to Infinity and made Inf - Inf = NaN (huge values)
  const cases: [string, number[], number[], number, number][] = [
    [
      "tiny values: the int16 scale product underflows",
      [...new Array(9).fill(2 ** -62), 2 ** -61, 2 ** -61],
      range(0, 10) as unknown as number[],
      10,
      1,
    ],
    ["tiny values of mixed size", [1e-30, 3e-39, 1e-45, 0, 2e-38, 7e-39, 5e-39], [0, 1, 2, 3, 4, 5], 6, 2],
    [
      "huge values: squared norms past float32",
      [7e18, ...new Array(9).fill(0), 1.9e19, 1.7e19],
      range(0, 11) as unknown as number[],
      11,
      1,
    ],
    ["two huge equal rows", [2e19, 2e19], [0], 1, 1],
  ];
  it.each(cases)("%s", async (_name, values, reference, query, k) => {
    const data = Float32Array.from(values);
    const groups = [Int32Array.from(reference)];
    const queries = Int32Array.from([query]);
    const expected = bruteForceKnn(data, 1, groups[0]!, gather(data, 1, queries), k);
    for (const kernel of ["int16", "float32"] as const) {
      const [result] = await knnSearch({ data, dims: 1, groups, queries, k, threads: 1, kernel, prune: "never" });
      expectSameBytes(result!, expected);
      const index = await createKnnIndex(data, 1, groups[0]!, { threads: 1, kernel });
      try {
        expectSameBytes(await index.search(gather(data, 1, queries), k), expected);
      } finally {
        await index.close();
      }
    }
  });

  it("codes a row of subnormal values within int16, and rounds error norms up even below 2^-126", () => {
    const codes = new Int16Array(8);
    const stats = { scale: 0, errorNorm: 0 };
    const row = Float32Array.from([6569400 * 2 ** -149, -3 * 2 ** -149]);
    quantizeRow(row, 0, 2, codes, 0, 8, stats);
    expect(Math.abs(codes[0]!)).toBeLessThanOrEqual(32767);
    expect(Math.sign(codes[0]!)).not.toBe(-1);
    const real = Math.hypot(row[0]! - stats.scale * codes[0]!, row[1]! - stats.scale * codes[1]!);
    expect(stats.errorNorm).toBeGreaterThanOrEqual(real);
    for (const value of [1e-46, 3e-45, 1.5e-39, 1e-30, 0.1, 3]) {
      const up = roundUpToFloat32(value);
      expect(up).toBeGreaterThanOrEqual(value);
      expect(Math.fround(up)).toBe(up);
    }
  });
});

/**
 * Both kernels on a shared memory holding `data`, with one group (`reference`) and 64 query
 * slots. tile[kind].run(start, width) runs one kernel call over that group's columns start..;
 * tile[kind].packed is how scanTile reads its output; after a run with every threshold at
 * Infinity (admitAll), tile[kind].value(q, r, width) is query slot q's value of column r.
 */
async function kernelsOn(data: Float32Array, dims: number, reference: Int32Array) {
  const { memory, layout } = fillSharedMemory(data, dims, [reference], 1, undefined, true);
  const module = await wasm.compile(readFileSync(wasmPath("knn-kernel")));
  const kernels = bindKernels(new wasm.Instance(module, { env: { memory } }).exports);
  const scratch = layout.scratch[0]!;
  const codes = layout.codes!;
  const group = layout.groups[0]!;
  const out = (width: number) => new Float32Array(memory.buffer, scratch.outOffset, 64 * width);
  const tile = {
    int16: {
      run: (start: number, width: number) => {
        stageQuadCodes(memory, scratch, codes.offset, codes.dpi, 64);
        kernels.int16({
          queries: {
            quadCodes: scratch.quadCodesOffset,
            scales: codes.scalesOffset,
            norms: layout.normsOffset,
            ids: scratch.qidsOffset,
            count: 64,
          },
          references: {
            codeRows: group.codeRowsOffset + start * 4,
            scales: codes.scalesOffset,
            norms: layout.normsOffset,
            ids: group.idsOffset + start * 4,
            count: width,
          },
          rowBytes: codes.dpi * 2,
          out: scratch.outOffset,
          filter: kernelFilter(scratch),
        });
      },
      packed: true,
      // every column admitted: the n-th hit of a quad is column n
      value: (q: number, r: number, width: number) => out(width)[((q >> 2) * width + r) * 4 + (q & 3)]!,
    },
    float32: {
      run: (start: number, width: number) =>
        kernels.float32({
          queries: { base: layout.dataOffset, norms: layout.normsOffset, ids: scratch.qidsOffset, count: 64 },
          references: { base: layout.dataOffset, norms: layout.normsOffset, ids: group.idsOffset + start * 4, count: width },
          rowBytes: layout.dp * 4,
          out: scratch.outOffset,
          filter: kernelFilter(scratch),
        }),
      packed: false,
      value: (q: number, r: number, width: number) => out(width)[q * width + r]!,
    },
  };
  const admitAll = () => new Float32Array(memory.buffer, scratch.thresholdsOffset, 64).fill(Infinity);
  return { memory, layout, scratch, codes, group, tile, admitAll };
}

describe("the kernels' error bounds hold for every pair", () => {
  it("|kernel value - float64 distance| <= the bound the re-check relies on, int16 and float32", async () => {
    const dims = 230;
    const rows = 1200;
    const data = awkwardMatrix(rows, dims, 5);
    const queries = range(0, 64);
    const reference = range(64, 64 + 512);
    const { memory, layout, scratch, codes, group, tile, admitAll } = await kernelsOn(data, dims, reference);
    new Int32Array(memory.buffer, scratch.qidsOffset, 64).set(queries);
    const f32 = new Float32Array(memory.buffer);
    const check = (value: (q: number, r: number, width: number) => number, bound: (q: number) => number): number => {
      let worstRatio = 0;
      for (let q = 0; q < 64; q++) {
        for (let r = 0; r < 512; r++) {
          const exact = squaredDistance64(
            f32,
            layout.dataOffset / 4 + q * layout.dp,
            f32,
            layout.dataOffset / 4 + reference[r]! * layout.dp,
            dims,
          );
          worstRatio = Math.max(worstRatio, Math.abs(value(q, r, 512) - exact) / bound(q));
        }
      }
      return worstRatio;
    };
    admitAll();
    tile.int16.run(0, 512);
    const codeErrors = new Float32Array(memory.buffer, codes.errorsOffset, rows);
    const int16Ratio = check(tile.int16.value, (q) => codesErrorBound(f32[layout.normsOffset / 4 + q]!, codeErrors[q]!, group));
    tile.float32.run(0, 512);
    const float32Ratio = check(tile.float32.value, (q) => float32ErrorBound(f32[layout.normsOffset / 4 + q]!, group, dims));
    expect(int16Ratio).toBeLessThan(1);
    expect(float32Ratio).toBeLessThan(1);
    // and the bounds are not vacuous: the int16 error uses a real share of its budget
    expect(int16Ratio).toBeGreaterThan(1e-3);
  });
});

describe("the kernels' filter", () => {
  it("lists every column a full scan of the tile would keep, so the shortlists are the full scan's", async () => {
    const dims = 230;
    const data = awkwardMatrix(1100, dims, 9);
    const queries = range(0, 62); // not a multiple of 4: the last quad has padding lanes
    const reference = range(100, 100 + 901); // two tiles, the second of odd width
    const { memory, scratch, group, tile, admitAll } = await kernelsOn(data, dims, reference);
    new Int32Array(memory.buffer, scratch.qidsOffset, 64).set([...queries, 61, 61]);
    const refIds = new Int32Array(memory.buffer, group.idsOffset, group.length + 1);
    for (const [name, kernel] of Object.entries(tile)) {
      const filtered = Array.from(queries, () => new TopList(18));
      const full = Array.from(queries, () => new TopList(18));
      let listed = 0;
      for (let start = 0; start < group.length; start += 512) {
        const actual = Math.min(512, group.length - start);
        const width = actual + (actual % 2);
        admitAll();
        kernel.run(start, width);
        full.forEach((list, q) => {
          for (let r = 0; r < actual; r++)
            if (kernel.value(q, r, width) <= list.worst()) list.push(kernel.value(q, r, width), refIds[start + r]!);
        });
        stageThresholds(memory, scratch, filtered.length, (q) => filtered[q]!.worst());
        kernel.run(start, width);
        const filteredTile = {
          memory,
          scratch,
          out: scratch.outOffset,
          width,
          actual,
          refIds,
          start,
          count: filtered.length,
          packed: kernel.packed,
        };
        scanTile(filteredTile, pushInto(filtered));
        if (start > 0) listed += new Int32Array(memory.buffer, scratch.hitCountsOffset, 16).reduce((a, b) => a + b, 0);
      }
      for (let q = 0; q < queries.length; q++) {
        expect([...filtered[q]!.ids], `${name} query ${q}`).toEqual([...full[q]!.ids]);
        expect([...filtered[q]!.keys], `${name} query ${q}`).toEqual([...full[q]!.keys]);
      }
      // and it filters: in the second tile most columns were not listed for any quad
      expect(listed, name).toBeLessThan((16 * 389) / 2);
    }
  });
});
