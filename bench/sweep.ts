/**
 * Tuning on the 150k demo: a 3 x 2 sweep (cluster.k=5,8,12 x project.method=pca,lda) from an
 * empty cache against one cold run, and `pipeline exp show` over 100 recorded runs.
 *
 *   node dist/bench/sweep.js --data DIR --out FILE
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../src/core/paths.ts";

const { values } = parseArgs({ options: { data: { type: "string" }, out: { type: "string" } } });
const root = packageRoot();
const bin = join(root, "dist", "src", "cli", "bin.js");
const dir = join(root, ".bench", "sweep");
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, "data"), { recursive: true });
cpSync(values.data!, join(dir, "data", "demo"), { recursive: true });
cpSync(join(root, "pipeline.yaml"), join(dir, "pipeline.yaml"));

const round = (x: number) => Math.round(x * 1000) / 1000;
function run(args: string[]): { seconds: number; code: number | null; stdout: string } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [bin, "-C", dir, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env: { ...process.env, CI: "1" },
  });
  if (result.status !== 0) process.stderr.write(result.stderr.slice(-3000));
  return { seconds: round((performance.now() - started) / 1000), code: result.status, stdout: result.stdout };
}

const cold = run(["run", "--json"]);
rmSync(join(dir, "cache"), { recursive: true, force: true });
const sweep = run(["run", "--set", "cluster.k=5,8,12", "--set", "project.method=pca,lda", "--name", "grid", "--json"]);
const logs = readdirSync(join(dir, "cache", "runs")).map(
  (f) => JSON.parse(readFileSync(join(dir, "cache", "runs", f), "utf8")) as { stages: { name: string; status: string }[] },
);
const classifyRuns = logs.filter((l) => l.stages.some((s) => s.name === "classify" && s.status === "ran")).length;

// 100 recorded runs: the sweep's 6 logs copied under new ids (exp show reads logs, never objects)
const runsDir = join(dir, "cache", "runs");
const sample = readdirSync(runsDir).map((f) => readFileSync(join(runsDir, f), "utf8"));
for (let i = sample.length; i < 100; i++) {
  const log = JSON.parse(sample[i % sample.length]!) as { id: string };
  log.id = `2026-01-01T00-00-${String(i).padStart(2, "0")}-000Z-${i}`;
  writeFileSync(join(runsDir, `${log.id}.json`), JSON.stringify(log));
}
const show = [0, 1, 2].map(() => run(["exp", "show"]).seconds).sort((a, b) => a - b)[1]!;
const result = {
  cold_seconds: cold.seconds,
  sweep_3x2_seconds: sweep.seconds,
  sweep_over_cold: round(sweep.seconds / cold.seconds),
  sweep_classify_runs: classifyRuns,
  exp_show_100_runs_seconds: show,
  ok: cold.code === 0 && sweep.code === 0,
};
writeFileSync(values.out!, JSON.stringify(result, null, 2));
process.stdout.write(`${JSON.stringify(result)}\n`);
