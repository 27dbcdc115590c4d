/**
 * Peak memory (RSS of the whole process: its stage worker threads are in it) on the demo at
 * --rows, the piece behind the README's memory table (`--rows 1000000` is SPEC's upper bound):
 *
 *   cold   `pipeline run` from an empty cache: seconds, peak RSS, each stage's seconds
 *   alone  every stage but classify rerun alone (`--only S --force S`, its inputs cached): its
 *          peak RSS and seconds. classify alone would repeat the cold run's longest part; the
 *          cold run's peak covers it, beside whichever stage ran with it
 *
 *   node dist/bench/memory.js --data DIR --out FILE      (npm run bench -- --only memory --rows 1000000)
 */
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../src/core/paths.ts";
import { lastJsonLine, round, timed } from "./peak-rss.ts";

const { values } = parseArgs({ options: { data: { type: "string" }, out: { type: "string" } } });
const root = packageRoot();
const bin = join(root, "dist", "src", "cli", "bin.js");
const project = join(root, ".bench", "memory");
rmSync(project, { recursive: true, force: true });
mkdirSync(join(project, "data"), { recursive: true });
symlinkSync(resolve(values.data!), join(project, "data", "demo")); // the 1M files are not copied
cpSync(join(root, "pipeline.yaml"), join(project, "pipeline.yaml"));

type Summary = { stages?: { name: string; ms: number; status: string }[] } | undefined;
const run = (args: string[]) => timed(process.execPath, [bin, "-C", project, "run", ...args, "--json"]);

const cold = run([]);
const coldStages = (lastJsonLine(cold.stdout) as Summary)?.stages ?? [];
const alone: Record<string, { seconds: number; max_rss_mib: number; ok: boolean }> = {};
for (const stage of ["load", "standardize", "project", "cluster", "evaluate", "write-fit"]) {
  const result = run(["--only", stage, "--force", stage]);
  const ms = ((lastJsonLine(result.stdout) as Summary)?.stages ?? []).find((s) => s.name === stage)?.ms ?? Number.NaN;
  alone[stage] = { seconds: round(ms / 1000), max_rss_mib: result.maxRssMiB, ok: result.code === 0 };
}
const idle = run([]); // warm: the process itself, no stage runs

const report = {
  cold: {
    ok: cold.code === 0,
    seconds: cold.seconds,
    max_rss_mib: cold.maxRssMiB,
    stage_seconds: Object.fromEntries(coldStages.map((s) => [s.name, round(s.ms / 1000)])),
  },
  alone,
  warm_no_op_max_rss_mib: idle.maxRssMiB,
};
writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
