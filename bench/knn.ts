/**
 * Benchmark piece: the exact kNN engine at the demo's scale.
 *
 *   node dist/bench/knn.js --out FILE.json [--data DIR] [--rows N] [--dims D] [--threads T] [--variant-stride S]
 *
 * Data: with --data DIR holding features_window_v1.parquet, the demo features standardized by
 * the standardize kernel, split by host like classify's default (rows of the three train hosts
 * are train/val, every 5th of their episodes in sorted order is val; the other hosts are test):
 * an approximation of the host split without the validation table. The matrix and roles are
 * cached as DIR/.knn-bench/{standardized.f32,roles.i8,meta.json} for bench/python/sklearn_knn.py.
 * Without --data: synthetic low-rank rows (rank 20 + N(0, 0.3) noise), split 44/11/45.
 *   host_split  one knnSearch pass: queries vs groups [train, val]. `auto` is the default search
 *               (int16 shortlist kernel, prune "auto") over every query: the headline against
 *               sklearn. `brute` (prune "never") and `brute_float32` (the float32 kernel) search
 *               every S-th query (--variant-stride, default 1); their extrapolated_full_seconds
 *               multiply by S, set-up included, so they overstate a full run by ~0.4 s x (S - 1).
 *   latency     createKnnIndex over all rows: 1 query alone, and batches of 64 (per query);
 *               latency_float32 the same with the float32 kernel
 * GFLOP/s counts 2 flops per multiply-add of the dot-product form, as the notes do, and is
 * reported as a share of the machine's measured f32 and int16 SIMD peaks (simd-peak.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readDemoWindows } from "./demo-windows.ts";
import { standardize } from "../src/numeric/standardize.ts";
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createRng } from "../src/core/rng.ts";
import { createKnnIndex, knnSearchWithStats, mergeNeighbours, weightedVote, type ShortlistKernel } from "../src/knn/index.ts";
import { measureSimdPeak } from "./simd-peak.ts";

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    data: { type: "string" },
    rows: { type: "string" },
    dims: { type: "string" },
    threads: { type: "string" },
    "variant-stride": { type: "string" },
  },
});
const variantStride = Number(values["variant-stride"] ?? 1);
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

/** Role per row: 0 train, 1 val, 2 test. */
function syntheticRoles(n: number): Int8Array {
  return Int8Array.from({ length: n }, (_, i) => (i < Math.round(n * 0.44) ? 0 : i < Math.round(n * 0.55) ? 1 : 2));
}
const cpuMhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? NaN);
// measured first, on an idle machine: the searches' GFLOP/s are reported as a share of it
const peak = await measureSimdPeak(threads);

async function timedSearch(
  data: Float32Array,
  groups: Int32Array[],
  queries: Int32Array,
  stride: number,
  prune: "auto" | "never",
  kernel: ShortlistKernel,
): Promise<Record<string, unknown>> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const {
    results: [byTrain, byVal],
    stats,
  } = await knnSearchWithStats({ data, dims, groups, queries, k: 10, threads, prune, kernel });
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const labels = Int8Array.from({ length: rows }, (_, i) => i % 6);
  const voteStart = performance.now();
  weightedVote(mergeNeighbours(byTrain!, byVal!, 10), 10, labels, 6);
  weightedVote(byTrain!, 10, labels, 6);
  // brute-force-equivalent work, so pruned and brute GFLOP/s compare like for like
  const flop = queries.length * (groups[0]!.length + groups[1]!.length) * dims * 2;
  const gflops = flop / seconds / 1e9;
  return {
    query_stride: stride,
    queries_searched: queries.length,
    seconds,
    extrapolated_full_seconds: seconds * stride,
    cpu_seconds: cpuSeconds,
    merge_and_vote_seconds: (performance.now() - voteStart) / 1000,
    gflops_equivalent: gflops,
    share_of_f32_peak: gflops / peak.f32_gflops,
    share_of_int16_peak: gflops / peak.int16_gops,
    ...stats,
    survivor_fraction: stats.prunedPairs > 0 ? stats.survivors / stats.prunedPairs : null,
  };
}

async function hostSplit(data: Float32Array, roles: Int8Array): Promise<Record<string, unknown>> {
  const withRole = (role: number): Int32Array => Int32Array.from(range(0, rows).filter((i) => roles[i] === role));
  const groups = [withRole(0), withRole(1)];
  const allQueries = Int32Array.from(range(0, rows).filter((i) => roles[i] !== 0));
  const someQueries = allQueries.filter((_, i) => i % variantStride === 0);
  return {
    train_rows: groups[0]!.length,
    val_rows: groups[1]!.length,
    queries_full: allQueries.length,
    auto: await timedSearch(data, groups, allQueries, 1, "auto", "int16"),
    brute: await timedSearch(data, groups, someQueries, variantStride, "never", "int16"),
    brute_float32: await timedSearch(data, groups, someQueries, variantStride, "never", "float32"),
  };
}

async function latency(data: Float32Array, kernel: ShortlistKernel): Promise<Record<string, number | string>> {
  const index = await createKnnIndex(data, dims, range(0, rows), { threads, kernel });
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
    return { kernel, reference_rows: rows, single_query_ms: median(single), batch64_per_query_ms: median(batch) };
  } finally {
    await index.close();
  }
}

async function demoData(dir: string): Promise<{ data: Float32Array; dims: number; roles: Int8Array; kind: string }> {
  const windows = await readDemoWindows(dir);
  const { rows: n, cols } = windows.features;
  const standardized = standardize(windows.features.data, n, cols);
  const trainHosts = new Set(["elliott-thinkpad", "lab-node-01", "lab-node-02"]);
  const trainEpisodes = [...new Set(windows.episodeId.filter((_, i) => trainHosts.has(windows.hostId[i]!)))].sort();
  const valEpisodes = new Set(trainEpisodes.filter((_, i) => i % 5 === 4));
  const roles = Int8Array.from(windows.hostId, (host, i) => (!trainHosts.has(host) ? 2 : valEpisodes.has(windows.episodeId[i]!) ? 1 : 0));
  const cache = join(dir, ".knn-bench");
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, "standardized.f32"), new Uint8Array(standardized.data.buffer));
  writeFileSync(join(cache, "roles.i8"), new Uint8Array(roles.buffer));
  writeFileSync(join(cache, "meta.json"), JSON.stringify({ rows: n, dims: standardized.kept.length }));
  return {
    data: standardized.data,
    dims: standardized.kept.length,
    roles,
    kind: "demo features_window_v1.parquet, standardized, host split (approx.)",
  };
}

const generated = performance.now();
const useDemo = values.data !== undefined && existsSync(join(values.data, "features_window_v1.parquet"));
const source = useDemo
  ? await demoData(values.data!)
  : (() => {
      const n = Number(values.rows ?? 150_000);
      const d = Number(values.dims ?? 230);
      return {
        data: lowRankData(n, d, 20, 7),
        dims: d,
        roles: syntheticRoles(n),
        kind: "synthetic low-rank(20) + noise 0.3, split 44/11/45",
      };
    })();
const data = source.data;
const dims = source.dims;
const rows = data.length / dims;
const report = {
  engine:
    "wasm 4x2 blocked shortlist (int16 codes via i32x4.dot_i16x8_s; f32x4 float32 as the variant, " +
    "and for queries an int16 limit pass cannot finish) + float64 re-check; lower-bound prune (PCA + residual)",
  data: { kind: source.kind, rows, dims, prepare_seconds: (performance.now() - generated) / 1000 },
  threads,
  simd_peak_measured: { ...peak, nominal_cpu_mhz: cpuMhz },
  host_split: await hostSplit(data, source.roles),
  latency: await latency(data, "int16"),
  latency_float32: await latency(data, "float32"),
};
const text = JSON.stringify(report, null, 2);
if (values.out) await writeFile(values.out, text + "\n");
console.log(text);
