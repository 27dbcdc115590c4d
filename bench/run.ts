/**
 * `npm run bench`: the 150k x 230 demo end to end, then each bench piece, one at a time
 * (the machine has 2 cores: nothing here runs concurrently), merged into one JSON file.
 *
 *   node dist/bench/run.js [--rows N] [--out FILE]
 *                          [--only pipeline,linear,knn,publish,umap,remote,sweep,knn-scaling,classify-scaling,shard,memory]
 *
 * pipeline   cold run, warm no-op run (median of 3; and whether it read the inputs), peak RSS, stage times,
 *            and standardize, project, cluster, classify and evaluate rerun alone (median of 3)
 * <piece>    node dist/bench/<piece>.js --data DIR --out FILE, then its Python peer if any
 * memory     only when named: a cold run's and each stage's peak RSS (the 1M piece, 15-30 min)
 * knn-scaling  only when named: the kNN search against growing reference sets it generates itself
 *            (no demo files needed), ~5 min
 * classify-scaling  only when named: the classify stage's pairs per second at 150k and 600k
 *            windows, demos it generates itself, ~10 min
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../src/core/paths.ts";
import { lastJsonLine, round, timed } from "./peak-rss.ts";

const { values } = parseArgs({ options: { rows: { type: "string" }, only: { type: "string" }, out: { type: "string" } } });
const root = packageRoot();
const work = join(root, ".bench");
const rows = values.rows ?? "150000";
const only = new Set((values.only ?? "pipeline,linear,knn,publish,umap,remote,sweep").split(","));
const out = values.out ?? join(root, "bench-results.json");
const bin = join(root, "dist", "src", "cli", "bin.js");
const PEERS: Record<string, string[]> = {
  linear: ["sklearn_linear"],
  knn: ["sklearn_knn"],
  umap: ["umap_learn"],
  pipeline: ["sklearn_steps"],
};
/** Extra flags for our side of a piece: the knn piece's variants (prune off, the float32 kernel)
 * search every 4th query; its headline search and sklearn's search every query. */
const EXTRA: Record<string, string[]> = { knn: ["--variant-stride", "4"] };

const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
const results: Record<string, unknown> = {
  rows: Number(rows),
  // ratios are compared within one run: machines differ (with AVX-512 sklearn's BLAS is ~2x faster)
  machine: {
    cpus: cpuinfo.match(/^processor/gm)?.length,
    node: process.version,
    simd_flags: (/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "").split(" ").filter((f) => /^(sse|ssse3|avx|fma)/.test(f)),
  },
};

// the demo data, generated once (it is deterministic)
const project = join(work, "project");
const data = join(project, "data", "demo");
mkdirSync(project, { recursive: true });
cpSync(join(root, "pipeline.yaml"), join(project, "pipeline.yaml"));
const marker = join(work, `rows-${rows}`);
// the scaling pieces make their own data: the demo files are only generated for the other pieces
const needsDemo = [...only].some((piece) => piece !== "knn-scaling" && piece !== "classify-scaling");
if (needsDemo && !existsSync(marker)) {
  rmSync(data, { recursive: true, force: true });
  const gen = timed(process.execPath, [bin, "-C", project, "demo-data", "--rows", rows]);
  results.demo_data = { seconds: gen.seconds };
  for (const f of readdirSync(work).filter((f) => f.startsWith("rows-"))) rmSync(join(work, f));
  writeFileSync(marker, "");
}

if (only.has("pipeline")) {
  rmSync(join(project, "cache"), { recursive: true, force: true });
  const cold = timed(process.execPath, [bin, "-C", project, "run", "--json"]);
  // the median of three warm runs: one 0.3 s run is at the mercy of whatever else the machine does
  const warm = [0, 1, 2]
    .map(() => timed(process.execPath, [bin, "-C", project, "run", "--json"]))
    .sort((a, b) => a.seconds - b.seconds)[1]!;
  const runs = readdirSync(join(project, "cache", "runs")).sort();
  const warmLog = JSON.parse(readFileSync(join(project, "cache", "runs", runs.at(-1)!), "utf8")) as { inputBytesHashed?: number };
  const coldSummary = lastJsonLine(cold.stdout) as { stages?: { name: string; ms: number; status: string }[] } | undefined;
  results.pipeline = {
    cold_seconds: cold.seconds,
    cold_max_rss_mib: cold.maxRssMiB,
    cold_ok: cold.code === 0,
    stage_seconds: Object.fromEntries((coldSummary?.stages ?? []).map((s) => [s.name, round(s.ms / 1000)])),
    warm_seconds: warm.seconds,
    warm_ok: warm.code === 0,
    warm_all_cached: ((lastJsonLine(warm.stdout) as { stages?: { status: string }[] })?.stages ?? []).every((s) => s.status !== "ran"),
    warm_input_bytes_hashed: warmLog.inputBytesHashed ?? null,
    warm_over_cold: round(warm.seconds / cold.seconds),
    stage_alone_seconds: stagesAlone(["standardize", "project", "cluster", "classify", "evaluate"]),
  };
}

/**
 * In the cold run, project, cluster and classify share the 2 cores; sklearn's steps run one
 * after another. So each stage that has a sklearn peer is also rerun alone (`--only S --force S`),
 * the median of 3, to compare like with like.
 */
function stagesAlone(stages: string[]): Record<string, number> {
  return Object.fromEntries(
    stages.map((stage) => {
      const times = [0, 1, 2].map(() => {
        const run = timed(process.execPath, [bin, "-C", project, "run", "--only", stage, "--force", stage, "--json"]);
        const summary = lastJsonLine(run.stdout) as { stages?: { name: string; ms: number }[] } | undefined;
        return (summary?.stages ?? []).find((s) => s.name === stage)?.ms ?? NaN;
      });
      return [stage, round(times.sort((a, b) => a - b)[1]! / 1000)];
    }),
  );
}

// shard and memory are only run when named: they are the 600k and 1M pieces (`--only shard --rows 600000`)
const PIECES = ["pipeline", "linear", "knn", "publish", "umap", "remote", "sweep", "knn-scaling", "classify-scaling", "shard", "memory"];
for (const piece of PIECES) {
  if (!only.has(piece)) continue;
  const entry: Record<string, unknown> = {};
  if (piece !== "pipeline" && existsSync(join(root, "dist", "bench", `${piece}.js`))) {
    const file = join(work, `${piece}.json`);
    const ours = timed(process.execPath, [
      join(root, "dist", "bench", `${piece}.js`),
      "--data",
      data,
      "--out",
      file,
      ...(EXTRA[piece] ?? []),
    ]);
    entry.ours = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { failed: ours.code };
    entry.ours_max_rss_mib = ours.maxRssMiB;
  }
  for (const peer of PEERS[piece] ?? []) {
    const script = join(root, "bench", "python", `${peer}.py`);
    if (!existsSync(script)) continue;
    const file = join(work, `${peer}.json`);
    const theirs = timed("/usr/bin/python3", [script, "--data", data, "--out", file]);
    entry[peer] = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { failed: theirs.code };
  }
  if (piece === "pipeline") Object.assign(results.pipeline as object, entry);
  else results[piece] = entry;
}

writeFileSync(out, JSON.stringify(results, null, 2));
process.stdout.write(`${JSON.stringify(results)}\n`);
