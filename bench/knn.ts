/**
 * Benchmark piece: the exact kNN engine at the demo's scale.
 *
 *   node dist/bench/knn.js --out FILE.json [--data DIR (ignored)] [--rows N] [--dims D] [--threads T]
 *
 * Data: synthetic low-rank + noise rows (rank 20 signal + N(0, 0.3) noise, seeded), standing in
 * for the standardized 150k x 230 demo features; bench/python/sklearn_knn.py builds the same recipe.
 * Split like the host split: 44% train, 11% val, 45% test; queries = val + test (~84k at 150k).
 *   host_split  one knnSearch pass: queries vs groups [train, val]
 *   latency     createKnnIndex over all rows: 1 query alone, and batches of 64 (per query)
 * GFLOP/s counts 2 flops per multiply-add of the dot-product form, as the notes do; the peak
 * assumed is 2 cores x clock (from /proc/cpuinfo) x 8 f32 flops/cycle (one f32x4 mul + add).
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createRng } from "../src/core/rng.ts";
import { createKnnIndex, knnSearch, mergeNeighbours, weightedVote } from "../src/knn/index.ts";
import { lastSearchStats } from "../src/knn/search.ts";

const { values } = parseArgs({
  options: { out: { type: "string" }, data: { type: "string" }, rows: { type: "string" }, dims: { type: "string" }, threads: { type: "string" } },
});
const rows = Number(values.rows ?? 150_000);
const dims = Number(values.dims ?? 230);
const threads = Number(values.threads ?? 2);

function lowRankData(n: number, d: number, rank: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-300))) * Math.cos(2 * Math.PI * rng.next());
  const basis = Float64Array.from({ length: rank * d }, gauss);
  const out = new Float32Array(n * d);
  const z = new Float64Array(rank);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < rank; r++) z[r] = gauss();
    for (let j = 0; j < d; j++) {
      let sum = 0;
      for (let r = 0; r < rank; r++) sum += z[r]! * basis[r * d + j]!;
      out[i * d + j] = sum / Math.sqrt(rank) + 0.3 * gauss();
    }
  }
  return out;
}

const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);
const cpuMhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? NaN);
const peakGflops = 2 * (cpuMhz / 1000) * 8;

async function hostSplit(data: Float32Array): Promise<Record<string, number>> {
  const train = range(0, Math.round(rows * 0.44));
  const val = range(train.length, Math.round(rows * 0.55));
  const queries = range(val.length + train.length, rows);
  const allQueries = Int32Array.from([...val, ...queries]);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const [byTrain, byVal] = await knnSearch({ data, dims, groups: [train, val], queries: allQueries, k: 10, threads });
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const labels = Int8Array.from({ length: rows }, (_, i) => i % 6);
  const voteStart = performance.now();
  weightedVote(mergeNeighbours(byTrain!, byVal!, 10), 10, labels, 6);
  weightedVote(byTrain!, 10, labels, 6);
  const flop = allQueries.length * (train.length + val.length) * dims * 2;
  const gflops = flop / seconds / 1e9;
  return {
    train_rows: train.length, val_rows: val.length, queries: allQueries.length, seconds,
    merge_and_vote_seconds: (performance.now() - voteStart) / 1000,
    cpu_seconds: cpuSeconds, gflops_per_cpu_second: flop / cpuSeconds / 1e9,
    gflops, share_of_simd_peak: gflops / peakGflops, float64_fallback_queries: lastSearchStats.fallbacks,
  };
}

async function latency(data: Float32Array): Promise<Record<string, number>> {
  const index = await createKnnIndex(data, dims, range(0, rows), { threads });
  const pick = (count: number, at: number): Float32Array => data.slice(at * dims, (at + count) * dims);
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  try {
    await index.search(pick(64, 0), 10); // warm-up
    const single: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      await index.search(pick(1, 1000 + i * 7), 10);
      single.push(performance.now() - t);
    }
    const batch: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await index.search(pick(64, 5000 + i * 64), 10);
      batch.push((performance.now() - t) / 64);
    }
    return { reference_rows: rows, single_query_ms: median(single), batch64_per_query_ms: median(batch) };
  } finally {
    await index.close();
  }
}

const generated = performance.now();
const data = lowRankData(rows, dims, 20, 7);
const report = {
  engine: "wasm f32x4 4x2 blocked shortlist + float64 re-check",
  data: { kind: "synthetic low-rank(20) + noise 0.3", rows, dims, generate_seconds: (performance.now() - generated) / 1000 },
  threads,
  simd_peak_assumption: { cpu_mhz: cpuMhz, cores: 2, f32_flops_per_cycle: 8, peak_gflops: peakGflops },
  host_split: await hostSplit(data),
  latency: await latency(data),
};
const text = JSON.stringify(report, null, 2);
if (values.out) await writeFile(values.out, text + "\n");
console.log(text);
