import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.ts";
import { readParquet, writeParquet } from "../../src/io/parquet.ts";
import { removeTestProjects, runCli, stagesWith, testProject } from "../helpers/cli.ts";
import { duckRows, duckTypes, FIT_SQL_TYPES } from "../helpers/duckdb.ts";
import { startSink } from "../helpers/loopback-sink.ts";

afterAll(removeTestProjects);

const ALL = ["load", "standardize", "classify", "cluster", "evaluate", "project", "write-fit"];
/** The data block a report page embeds. */
const reportData = (path: string) =>
  JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(readFileSync(path, "utf8"))![1]!);
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** The shipped pipeline.yaml on small demo data (3000 windows x 40 features). */
async function demoProject(): Promise<string> {
  const dir = testProject({ "pipeline.yaml": readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8") });
  const gen = await runCli(dir, ["demo-data", "--rows", "3000", "--features", "40"]);
  expect(gen.code, gen.stderr).toBe(0);
  return dir;
}

describe("the shipped pipeline on demo data", () => {
  let dir: string;
  let firstFit: string;

  beforeAll(async () => {
    dir = await demoProject();
    const cold = await runCli(dir, ["run", "--json"]);
    expect(cold.code, cold.stderr + cold.stdout).toBe(0);
    expect(stagesWith(cold, "ran")).toEqual(ALL);
    expect(stagesWith(cold, "skipped")).toEqual(["publish"]);
    firstFit = sha(join(dir, "data/processed/knn_v1.parquet"));
  });

  it("writes knn_v1.parquet that DuckDB reads with exactly the contract's columns", async () => {
    const path = join(dir, "data/processed/knn_v1.parquet");
    expect(await duckTypes(path)).toEqual(FIT_SQL_TYPES);
    const [stats] = await duckRows(`select count(*)::INTEGER n, min(x) lo, max(x) hi, count(distinct cluster)::INTEGER k,
      sum(case when is_train then 1 else 0 end)::INTEGER train from read_parquet('${path}')`);
    expect(stats!.n).toBe(3000);
    expect(stats!.lo).toBeGreaterThanOrEqual(0);
    expect(stats!.hi).toBeLessThanOrEqual(1);
    expect(stats!.k).toBe(8);
    expect(stats!.train).toBeGreaterThan(0);
    const metrics = JSON.parse(readFileSync(join(dir, "data/processed/metrics_v1.json"), "utf8"));
    expect(metrics.macro_f1).toBeGreaterThan(0.3);
    expect(metrics.latency.batch64_per_window_ms).toBeGreaterThan(0);
  });

  it("a second run takes everything from the cache and leaves the files as they were", async () => {
    const warm = await runCli(dir, ["run", "--json"]);
    expect(warm.code).toBe(0);
    expect(stagesWith(warm, "cached")).toEqual(ALL);
    expect(sha(join(dir, "data/processed/knn_v1.parquet"))).toBe(firstFit);
  });

  it("--set cluster.k=5 reruns cluster and write-fit only", async () => {
    const changed = await runCli(dir, ["run", "--json", "--set", "cluster.k=5"]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(stagesWith(changed, "ran")).toEqual(["cluster", "write-fit"]);
    expect(changed.json!.stages.find((s) => s.name === "cluster")!.reason).toContain("params.k: 8 -> 5");
    const back = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(back, "ran")).toEqual([]);
    expect(sha(join(dir, "data/processed/knn_v1.parquet"))).toBe(firstFit);
  });

  it("is byte-identical from a fresh cache with one job and one thread", async () => {
    const other = await demoProject();
    const run = await runCli(other, ["run", "--json", "--jobs", "1", "--threads", "1"]);
    expect(run.code, run.stderr).toBe(0);
    expect(sha(join(other, "data/processed/knn_v1.parquet"))).toBe(firstFit);
  });

  it("run --check: exit 0 when current, exit 5 with a per-column table when not, never touching the file", async () => {
    const ok = await runCli(dir, ["run", "--check"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain("data/processed/knn_v1.parquet is identical");

    const path = join(dir, "data/processed/knn_v1.parquet");
    const { table, types } = readParquet(readFileSync(path));
    const x = Float32Array.from(table.x as Float32Array);
    x[0] = x[0]! + 0.25;
    x[1] = x[1]! + 0.5;
    const edited = writeParquet(
      Object.keys(table).map((name) => ({ name, type: types[name] as never, values: name === "x" ? x : table[name]! })),
    );
    writeFileSync(path, edited);
    const stale = await runCli(dir, ["run", "--check"]);
    expect(stale.code).toBe(5);
    expect(stale.stdout).toMatch(/knn_v1\.parquet differs/);
    expect(stale.stdout).toMatch(/x\s+2\s+0\.5/);
    expect(sha(path)).toBe(createHash("sha256").update(edited).digest("hex"));
    expect((await runCli(dir, ["run"])).code).toBe(0); // a plain run puts the right bytes back
    expect(sha(path)).toBe(firstFit);
  });

  it("a plain run never opens a socket; publish delivers every event when asked", async () => {
    const sink = await startSink();
    try {
      const plain = await runCli(dir, ["run", "--force-all", "--set", `publish.url=${sink.url}`]);
      expect(plain.code, plain.stderr).toBe(0);
      expect(sink.requests.length).toBe(0);
      const published = await runCli(dir, ["run", "publish", "--json", "--set", `publish.url=${sink.url}`]);
      expect(published.code, published.stderr).toBe(0);
      expect(stagesWith(published, "ran")).toEqual(["publish"]);
      const types = sink.accepted.map((r) => (r.body as { type: string }).type);
      expect(types.filter((t) => t === "embedding").length).toBe(2000);
      expect(types.filter((t) => t !== "embedding").sort()).toEqual(["model_metric", "model_perf"]);
    } finally {
      await sink.close();
    }
  });

  it("publish to a dashboard that is down exits 4 and leaves the fit and the cache alone", async () => {
    const before = sha(join(dir, "data/processed/knn_v1.parquet"));
    const result = await runCli(dir, [
      "run",
      "--publish",
      "--json",
      "--set",
      "publish.url=http://127.0.0.1:9/publish",
      "--set",
      "publish.retries=1",
    ]);
    expect(result.code).toBe(4);
    expect(result.stdout + result.stderr).toMatch(/were not delivered/);
    expect(sha(join(dir, "data/processed/knn_v1.parquet"))).toBe(before);
    expect(stagesWith(result, "cached")).toEqual(ALL);
  });

  it("pipeline report writes one self-contained page from the cache", async () => {
    const result = await runCli(dir, ["report"]);
    expect(result.code, result.stderr).toBe(0);
    const html = readFileSync(join(dir, "report/index.html"), "utf8");
    expect(html).toContain("<canvas");
    expect(html).not.toMatch(/(src|href)=["']https?:/);
  });

  it("pipeline report --set and --run draw that configuration, with its parameters, not the yaml's", async () => {
    const setRun = await runCli(dir, ["run", "--set", "cluster.k=4"]);
    expect(setRun.code, setRun.stderr).toBe(0);
    const setRunId = readdirSync(join(dir, "cache/runs"))
      .sort()
      .at(-1)!
      .replace(/\.json$/, "");

    const plain = await runCli(dir, ["report", "--out", join(dir, "plain.html")]); // the yaml, although the newest run is the --set one
    expect(plain.code, plain.stderr).toBe(0);
    const plainData = reportData(join(dir, "plain.html"));
    expect(plainData.params.cluster.k).toBe(8);
    expect(plainData.drawn).toBe("pipeline.yaml");
    expect(plainData.runId).not.toBe(setRunId);

    for (const args of [
      ["--set", "cluster.k=4"],
      ["--run", setRunId],
    ]) {
      const result = await runCli(dir, ["report", ...args, "--out", join(dir, "set.html")]);
      expect(result.code, result.stderr).toBe(0);
      const html = readFileSync(join(dir, "set.html"), "utf8");
      const data = reportData(join(dir, "set.html"));
      expect(data.params.cluster.k).toBe(4);
      expect(data.runId).toBe(setRunId);
      expect(data.stages.map((s: { name: string }) => s.name)).toContain("cluster");
      expect(html).toMatch(/<dt>k<\/dt><dd>4<\/dd>/);
      expect(html).not.toMatch(/<dt>k<\/dt><dd>8<\/dd>/); // classify's k is 10
      expect(data.runs.runs.map((r: { id: string }) => r.id)).toContain(setRunId);
      expect(data.runs.axes.map((a: { param: string }) => a.param)).toContain("cluster.k");
    }

    const withReport = await runCli(dir, ["run", "--set", "cluster.k=4", "--report"]); // all cached: a new run of it
    expect(withReport.code, withReport.stderr).toBe(0);
    const runData = reportData(join(dir, "report/index.html"));
    expect(runData.params.cluster.k).toBe(4);
    expect(runData.runId).toBe(
      readdirSync(join(dir, "cache/runs"))
        .sort()
        .at(-1)!
        .replace(/\.json$/, ""),
    );

    const uncached = await runCli(dir, ["report", "--set", "cluster.k=9"]);
    expect(uncached.code).toBe(1);
    expect(uncached.stderr).toContain("the report needs cluster, which are not cached for pipeline.yaml with --set cluster.k=9");
    expect(uncached.stderr).toContain("pipeline run --set cluster.k=9");
    const sweep = await runCli(dir, ["report", "--set", "cluster.k=4,8"]);
    expect(sweep.code).toBe(2);
    expect(sweep.stderr).toContain("report draws one configuration");
    const both = await runCli(dir, ["report", "--set", "cluster.k=4", "--run", setRunId]);
    expect(both.code).toBe(2);
    // the yaml's run is the newest again, as the tests below expect (explain diffs against it)
    expect((await runCli(dir, ["run"])).code).toBe(0);
  });

  it("status, explain and dag describe the project", async () => {
    const status = await runCli(dir, ["status"]);
    expect(status.stdout).toMatch(/cluster\s+up to date/);
    const explain = await runCli(dir, ["explain", "cluster", "--set", "cluster.k=6"]);
    expect(explain.stdout).toContain("params.k: 8 -> 6");
    expect(explain.stdout).toContain("input features <- standardize.features");
    const dag = await runCli(dir, ["dag", "--format", "mermaid"]);
    expect(dag.stdout).toContain("standardize");
    expect(dag.stdout).toMatch(/cluster\["cluster"\] -->\|labels -> clusters\| write_fit/);
  });

  it("gc keeps what the current yaml reaches and drops the rest", async () => {
    expect((await runCli(dir, ["run", "--set", "cluster.k=7"])).code).toBe(0);
    expect((await runCli(dir, ["run"])).code).toBe(0);
    const before = readdirSync(join(dir, "cache/entries/cluster")).length;
    expect(before).toBeGreaterThan(1); // k=8 and k=7 at least
    const gc = await runCli(dir, ["gc", "--keep-runs", "1"]);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toMatch(/removed [1-9]\d* entries/);
    expect(readdirSync(join(dir, "cache/entries/cluster")).length).toBe(1);
    const warm = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(warm, "cached")).toEqual(ALL);
  });
});

describe("bad input data: a clear error, exit 1, nothing written", () => {
  it("a missing input file names the file and the fix", async () => {
    const dir = testProject({ "pipeline.yaml": readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8") });
    const result = await runCli(dir, ["run"]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain("data/demo/features_window_v1.parquet does not exist");
    expect(result.stdout + result.stderr).toContain("pipeline demo-data");
    expect(existsSync(join(dir, "cache/entries"))).toBe(false);
    expect(existsSync(join(dir, "data/processed"))).toBe(false);
  });

  it("an unknown train host fails classify and writes no fit", async () => {
    const dir = await demoProject();
    const result = await runCli(dir, ["run", "--json", "--set", "classify.train_hosts=[nobody]"]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/nobody/);
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    expect(stagesWith(result, "failed")).toEqual(["classify"]);
    expect(existsSync(join(dir, "data/processed/knn_v1.parquet"))).toBe(false);
    expect(existsSync(join(dir, "cache/entries/classify"))).toBe(false);
  });
});
