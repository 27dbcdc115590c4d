/**
 * Benchmark piece: exact-kNN search throughput as the reference set grows. Exact KNN costs
 * queries x references pairs; this holds the queries fixed and grows the references, so every
 * size should search the same pairs per second, and any drop is the search's own (caches,
 * shortlist fallbacks, tiles), not the pipeline's.
 *
 *   node dist/bench/knn-scaling.js [--out FILE] [--roles host|any] [--sizes 75000,150000,300000[,600000 for any]]
 *                                  [--queries 2048] [--repeats 5] [--threads 2] [--kernel int16|float32]
 *
 * Data: demo windows made in memory by the demo-data generator (the same latent model, raw
 * units, NaN cells and constant columns as `pipeline demo-data` writes), standardized by the
 * standardize kernel. References of size N are the first N windows in file order (whole
 * episodes, like a demo of about that many rows) that may be references, split into classify's
 * two groups (every 5th to val); the queries are a fixed set spread over the windows past the
 * last reference. `--roles host` (default), as classify's host split: references are windows of
 * the default train hosts (half of all windows, so the pipeline at W windows searches about W/2
 * references) and queries are windows of the other hosts; `any`: every window may be either.
 * Each round searches every size once (a fresh pool
 * per size, warmed up by one block); the report has each size's median over the rounds of the
 * search alone (the pool's set-up, linear in N, is reported apart), in wall and CPU seconds.
 * The machine is shared: read medians, and the CPU-time rate is the steadier of the two.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { cpus } from "node:os";
import { createRng } from "../src/core/rng.ts";
import { DEMO_HOSTS } from "../src/demo/catalog.ts";
import { rawColumns } from "../src/demo/columns.ts";
import { planEpisodes } from "../src/demo/episodes.ts";
import { latentFeatures } from "../src/demo/features.ts";
import { QUERY_BLOCK } from "../src/knn/layout.ts";
import { KnnPool } from "../src/knn/pool.ts";
import { queryBlocks } from "../src/knn/prune-plan.ts";
import type { TaskCounts } from "../src/knn/protocol.ts";
import type { ShortlistKernel } from "../src/knn/types.ts";
import { standardize } from "../src/numeric/standardize.ts";

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    data: { type: "string" },
    sizes: { type: "string" },
    queries: { type: "string" },
    repeats: { type: "string" },
    threads: { type: "string" },
    kernel: { type: "string" },
    features: { type: "string" },
    roles: { type: "string" },
  },
});
const roles = values.roles ?? "host";
if (roles !== "host" && roles !== "any") throw new Error(`--roles must be host or any, got ${roles}`);
// host: 75k..300k references are what classify searches at 150k..600k windows
const sizes = (values.sizes ?? (roles === "host" ? "75000,150000,300000" : "75000,150000,300000,600000")).split(",").map(Number);
const queryCount = Number(values.queries ?? 2048);
const repeats = Number(values.repeats ?? 5);
const threads = Number(values.threads ?? 2);
const kernel = (values.kernel ?? "int16") as ShortlistKernel;
const features = Number(values.features ?? 230);
const K = 10;

/** What the CPU offers that the kernels use or could: cache sizes and the SIMD flags. */
function machine(): Record<string, unknown> {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const flags = (/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "").split(" ");
  const simd = flags.filter((f) => /^(sse|ssse3|avx|fma|f16c)/.test(f));
  const cache = (level: string): string | undefined => {
    try {
      return readFileSync(`/sys/devices/system/cpu/cpu0/cache/index${level}/size`, "utf8").trim();
    } catch {
      return undefined;
    }
  };
  return {
    model: cpus()[0]?.model,
    cpus: cpus().length,
    node: process.version,
    simd_flags: simd,
    l1d_per_core: cache("0"),
    l2_per_core: cache("2"),
    l3_shared: cache("3"),
  };
}

const TRAIN_HOSTS = new Set(["elliott-thinkpad", "lab-node-01", "lab-node-02"]);

/** Demo windows, standardized, row-major: rows x dims float32; onTrainHost[i] = 1 for a window of a train host. */
function demoWindows(rows: number): { data: Float32Array; dims: number; onTrainHost: Uint8Array } {
  const rng = createRng(0);
  const episodes = planEpisodes(rows, rng.fork("episodes"));
  const onTrainHost = new Uint8Array(rows);
  let at = 0;
  for (const e of episodes) {
    onTrainHost.fill(TRAIN_HOSTS.has(DEMO_HOSTS[e.host]!.name) ? 1 : 0, at, at + e.phases.length);
    at += e.phases.length;
  }
  const raw = rawColumns(latentFeatures(episodes, features, rng.fork("features")), rows, features, rng.fork("columns"));
  const matrix = new Float32Array(rows * features);
  raw.columns.forEach((column, j) => {
    for (let i = 0; i < rows; i++) matrix[i * features + j] = column[i]!;
  });
  const standardized = standardize(matrix, rows, features);
  return { data: standardized.data, dims: standardized.kept.length, onTrainHost };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const range = (a: number, b: number): Int32Array => Int32Array.from({ length: b - a }, (_, i) => a + i);

const largest = Math.max(...sizes);
const started = performance.now();
// host roles: about half the windows are on train hosts; 50k windows past the last reference hold the queries
const { data, dims, onTrainHost } = demoWindows(Math.ceil((roles === "host" ? 2.1 : 1) * largest) + Math.max(50_000, queryCount));
const prepareSeconds = (performance.now() - started) / 1000;
const rows = data.length / dims;
const mayRefer = (i: number): boolean => roles === "any" || onTrainHost[i] === 1;
const referencePool = Int32Array.from(range(0, rows).filter(mayRefer)).subarray(0, largest);
if (referencePool.length < largest) throw new Error(`only ${referencePool.length} windows may be references, fewer than ${largest}`);
const tail = range(referencePool.at(-1)! + 1, rows).filter((i) => roles === "any" || onTrainHost[i] === 0);
const queries = Int32Array.from({ length: queryCount }, (_, i) => tail[Math.floor((i * tail.length) / queryCount)]!);
const blocks = queryBlocks(queries);

interface Round {
  setupSeconds: number;
  seconds: number;
  cpuSeconds: number;
  counts: TaskCounts;
}

/** One size: a fresh pool over the first n windows (two groups), warmed up, then one timed search of every block. */
async function searchOnce(n: number): Promise<Round> {
  const references = referencePool.subarray(0, n);
  const groups = [references.filter((_, i) => i % 5 !== 4), references.filter((_, i) => i % 5 === 4)];
  const setupStart = performance.now();
  const pool = await KnnPool.start(data, dims, groups, threads, kernel);
  const setupSeconds = (performance.now() - setupStart) / 1000;
  try {
    const tasks = blocks.map((block) => ({ kind: "rows" as const, queries: block, k: K, prune: "off" as const }));
    await pool.run(tasks.slice(0, threads), () => undefined);
    const cpu = process.cpuUsage();
    const start = performance.now();
    const counts = await pool.run(tasks, () => undefined);
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    return { setupSeconds, seconds, cpuSeconds: (used.user + used.system) / 1e6, counts };
  } finally {
    await pool.close();
  }
}

const rounds = new Map<number, Round[]>(sizes.map((n) => [n, []]));
for (let r = 0; r < repeats; r++) {
  for (const n of sizes) rounds.get(n)!.push(await searchOnce(n));
}

const base = sizes[0]!;
const summary = sizes.map((n) => {
  const runs = rounds.get(n)!;
  const pairs = queries.length * n;
  const seconds = median(runs.map((x) => x.seconds));
  const cpuSeconds = median(runs.map((x) => x.cpuSeconds));
  const counts = runs[0]!.counts; // deterministic: every round counts the same
  return {
    references: n,
    pairs,
    median_seconds: seconds,
    seconds_each: runs.map((x) => Math.round(x.seconds * 1000) / 1000),
    pairs_per_second: pairs / seconds,
    pairs_per_cpu_second: pairs / cpuSeconds,
    setup_seconds: median(runs.map((x) => x.setupSeconds)),
    code_fallbacks_per_query: counts.codeFallbacks / queries.length,
    float32_fallbacks_per_query: counts.fallbacks / queries.length,
    reference_code_mib: (n * Math.ceil(dims / 8) * 8 * 2) / 2 ** 20,
    reference_float32_mib: (n * Math.ceil(dims / 4) * 4 * 4) / 2 ** 20,
  };
});
const baseRow = summary.find((s) => s.references === base)!;
const lastRow = summary.at(-1)!;
const report = {
  piece: "knn-scaling",
  note: "medians over rounds on a shared machine; the queries are fixed, so pairs/s should not depend on the reference count",
  machine: machine(),
  data: { kind: "demo generator windows, standardized", roles, rows, dims, prepare_seconds: prepareSeconds },
  threads,
  kernel,
  k: K,
  queries: queries.length,
  query_block: QUERY_BLOCK,
  repeats,
  sizes: summary,
  largest_over_base: {
    base,
    largest: lastRow.references,
    pairs_per_second: lastRow.pairs_per_second / baseRow.pairs_per_second,
    pairs_per_cpu_second: lastRow.pairs_per_cpu_second / baseRow.pairs_per_cpu_second,
  },
};
const text = JSON.stringify(report, null, 2);
if (values.out) writeFileSync(values.out, `${text}\n`);
console.log(text);
