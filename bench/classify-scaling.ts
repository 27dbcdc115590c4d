/**
 * classify's KNN throughput as the demo grows, the whole stage in real runs: for each size the
 * demo is generated, `pipeline run --until classify` computes load and standardize, then
 * classify is rerun alone `--repeats` times (`--only classify --force classify`). Exact KNN
 * meets every query with every reference row, so the pairs are queries x references (both
 * groups, train and val); pairs per second should not fall as the data grows. Sizes run one
 * after another in this process, so their ratio is read within one run.
 *
 *   node dist/bench/classify-scaling.js --out FILE [--sizes 150000,600000] [--repeats 1]
 *                                        (npm run bench -- --only classify-scaling)
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodeArtifact } from "../src/cache/codec.ts";
import { LocalDriver } from "../src/cache/local-driver.ts";
import { packageRoot } from "../src/core/paths.ts";
import { lastJsonLine, round, timed } from "./peak-rss.ts";

const { values } = parseArgs({
  options: { out: { type: "string" }, data: { type: "string" }, sizes: { type: "string" }, repeats: { type: "string" } },
});
const sizes = (values.sizes ?? "150000,600000").split(",").map(Number);
const repeats = Number(values.repeats ?? 1);
const root = packageRoot();
const bin = join(root, "dist", "src", "cli", "bin.js");
const work = join(root, ".bench", "classify-scaling");

type Summary = { ok?: boolean; stages?: { name: string; ms: number; key: string | null }[] } | undefined;
type Counts = Record<"train" | "val" | "test" | "other", number>;

/** classify's role counts, from its info output in the project's cache. */
async function countsOf(project: string, key: string): Promise<Counts> {
  const entry = JSON.parse(readFileSync(join(project, "cache", "entries", "classify", `${key}.json`), "utf8"));
  const bytes = await new LocalDriver(join(project, "cache")).readObject(entry.outputs.info.hash);
  return (decodeArtifact("json", bytes!) as { counts: Counts }).counts;
}

interface SizeResult {
  rows: number;
  queries: number;
  references: number;
  classify_seconds: number[];
  median_seconds: number;
  pairs_per_second_millions: number;
}
const results: SizeResult[] = [];
for (const rows of sizes) {
  const project = join(work, String(rows));
  rmSync(project, { recursive: true, force: true });
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "pipeline.yaml"), readFileSync(join(root, "pipeline.yaml")));
  const generated = timed(process.execPath, [bin, "-C", project, "demo-data", "--rows", String(rows)]);
  const upstream = timed(process.execPath, [bin, "-C", project, "run", "--until", "classify", "--json"]);
  if (generated.code !== 0 || upstream.code !== 0) throw new Error(`classify-scaling: setting up ${rows} rows failed`);
  const seconds: number[] = [];
  let key = "";
  for (let r = 0; r < repeats; r++) {
    const run = timed(process.execPath, [bin, "-C", project, "run", "--only", "classify", "--force", "classify", "--json"]);
    const stage = (lastJsonLine(run.stdout) as Summary)?.stages?.find((s) => s.name === "classify");
    if (run.code !== 0 || !stage?.key) throw new Error(`classify-scaling: classify at ${rows} rows failed`);
    seconds.push(stage.ms / 1000);
    key = stage.key;
  }
  const counts = await countsOf(project, key);
  const references = counts.train + counts.val;
  const queries = counts.test + counts.other;
  const median = [...seconds].sort((a, b) => a - b)[Math.floor(seconds.length / 2)]!;
  results.push({
    rows,
    queries,
    references,
    classify_seconds: seconds.map(round),
    median_seconds: round(median),
    pairs_per_second_millions: round((queries * references) / median / 1e6),
  });
  rmSync(project, { recursive: true, force: true }); // 600k's demo and cache are ~1.5 GB
}
const rate = (r: SizeResult) => r.pairs_per_second_millions;
const report = {
  sizes: results,
  largest_over_smallest: round(rate(results.at(-1)!) / rate(results[0]!)),
};
writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
