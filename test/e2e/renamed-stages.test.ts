/**
 * A pipeline.yaml whose stages are all renamed, with other output files: report, publish and
 * stream find what they need from the stage definitions and the wiring, not the shipped names.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTestProjects, runCli, stagesWith, testProject } from "../helpers/cli.ts";
import { duckRows } from "../helpers/duckdb.ts";
import { startSink, type Sink } from "../helpers/loopback-sink.ts";

afterAll(removeTestProjects);

const STAGES = {
  ingest: `    uses: load
    inputs:
      windows: data/demo/features_window_v1.parquet
      schema: data/demo/feature_schema_v1.json`,
  scale: `    uses: standardize
    inputs: { features: ingest.features, schema: ingest.schema }`,
  embed: `    uses: project
    params: { method: pca }
    inputs: { features: scale.features, meta: ingest.meta }`,
  groups: `    uses: cluster
    params: { k: 5 }
    inputs: { features: scale.features }`,
  knn: `    uses: classify
    params: { k: 7 }
    inputs: { features: scale.features, meta: ingest.meta, validation: data/demo/validation_v1.parquet }`,
  score: `    uses: evaluate
    inputs: { features: scale.features, meta: ingest.meta, predictions: knn.predictions, neighbours: knn.neighbours }
    outputs: { metrics: out/scores.json }`,
  embedding: `    uses: write-fit
    inputs: { meta: ingest.meta, xyz: embed.xyz, predictions: knn.predictions, clusters: groups.labels }
    outputs: { fit: out/embedding.parquet }`,
  dashboard: `    uses: publish
    params: { url: URL, max_points: 300 }
    inputs: { fit: embedding.fit, metrics: score.metrics }`,
} as const;

function yaml(stages: Partial<typeof STAGES>, url = "http://127.0.0.1:9/publish"): string {
  const body = Object.entries(stages).map(([name, text]) => `  ${name}:\n${text.replace("URL", url)}`);
  return `version: 1\nseed: 3\nstages:\n${body.join("\n")}\n`;
}

const without = (...names: (keyof typeof STAGES)[]) =>
  Object.fromEntries(Object.entries(STAGES).filter(([name]) => !names.includes(name as never)));
const reportData = (path: string) =>
  JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(readFileSync(path, "utf8"))![1]!);

describe("a pipeline whose stages are renamed", () => {
  let dir: string;
  let runId: string;
  let scores: { macro_f1: number; k: number; latency: { batch64_per_window_ms: number } };

  beforeAll(async () => {
    dir = testProject({ "pipeline.yaml": yaml(STAGES) });
    const gen = await runCli(dir, ["demo-data", "--rows", "2000", "--features", "30"]);
    expect(gen.code, gen.stderr).toBe(0);
    const run = await runCli(dir, ["run", "--json"]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(stagesWith(run, "ran").sort()).toEqual(["embed", "embedding", "groups", "ingest", "knn", "scale", "score"]);
    scores = JSON.parse(readFileSync(join(dir, "out/scores.json"), "utf8"));
    const exp = JSON.parse((await runCli(dir, ["exp", "show", "--json"])).stdout) as { id: string }[];
    runId = exp[0]!.id;
  });

  it("reports the renamed stages' results", async () => {
    const result = await runCli(dir, ["report", "--out", join(dir, "r.html")]);
    expect(result.code, result.stderr).toBe(0);
    const data = reportData(join(dir, "r.html"));
    expect(data.notes).toEqual([]);
    expect(data.metrics.macro_f1).toBeCloseTo(scores.macro_f1, 5);
    expect(data.metrics.k).toBe(7); // knn's k, not the default 10
    expect(data.projection.method).toBe("pca"); // embed's info
    expect(Object.keys(data.params).sort()).toEqual(["dashboard", "embed", "embedding", "groups", "ingest", "knn", "scale", "score"]);
    const fit = join(dir, "out/embedding.parquet");
    const [stats] = await duckRows(`select count(distinct cluster)::INTEGER k, count(*)::INTEGER n from read_parquet('${fit}')`);
    expect(stats).toEqual({ k: 5, n: 2000 });
    expect(new Set(data.points.cluster)).toEqual(new Set([0, 1, 2, 3, 4])); // groups' k = 5
    expect(data.points.x).toHaveLength(2000); // under the 5,000-point cap: every row
    // the scatter's columns are the fit's, row for row (x to the payload's 4 decimals)
    const rows = await duckRows(`select x, phase_int, predicted_int, cluster from read_parquet('${fit}')`);
    rows.forEach((row, i) => {
      expect(Math.abs((row.x as number) - data.points.x[i])).toBeLessThan(1e-4);
      expect([row.phase_int, row.predicted_int, row.cluster]).toEqual([
        data.points.phase[i],
        data.points.predicted[i],
        data.points.cluster[i],
      ]);
    });
  });

  it("publishes through the renamed publish stage to a real server", async () => {
    const sink = await startSink();
    try {
      const published = await runCli(dir, ["run", "dashboard", "--json", "--set", `dashboard.url=${sink.url}`]);
      expect(published.code, published.stderr).toBe(0);
      expect(stagesWith(published, "ran")).toEqual(["dashboard"]);
      const bodies = sink.accepted.map((r) => r.body as { type: string; accuracy?: number; latency_us?: number });
      expect(bodies.filter((b) => b.type === "embedding")).toHaveLength(300);
      expect(bodies.find((b) => b.type === "model_metric")!.accuracy).toBe(scores.macro_f1);
      expect(bodies.find((b) => b.type === "model_perf")!.latency_us).toBeCloseTo(scores.latency.batch64_per_window_ms * 1000, 6);
    } finally {
      await sink.close();
    }
  });

  it("streams the renamed stages' files with the renamed publish stage's params", async () => {
    let sink: Sink | undefined;
    try {
      sink = await startSink();
      writeFileSync(join(dir, "pipeline.yaml"), yaml(STAGES, sink.url)); // stream's url and max_points come from dashboard
      const shown = relative(process.cwd(), join(dir, "out/embedding.parquet")); // as the user, in the cwd, names it
      const streamed = await runCli(dir, ["stream"]);
      expect(streamed.code, streamed.stderr).toBe(0);
      expect(streamed.stdout).toContain(`streaming 300 points and 2 model events per cycle from ${shown} to ${sink.url}`);
      const bodies = sink.accepted.map((r) => r.body as { type: string; accuracy?: number });
      expect(bodies).toHaveLength(302);
      expect(bodies.find((b) => b.type === "model_metric")!.accuracy).toBe(scores.macro_f1);
    } finally {
      await sink?.close();
      writeFileSync(join(dir, "pipeline.yaml"), yaml(STAGES));
    }
  });

  it("without a stage that scores the fit, reports the rest and says what is left out", async () => {
    writeFileSync(join(dir, "pipeline.yaml"), yaml(without("score", "dashboard")));
    try {
      const result = await runCli(dir, ["report", "--out", join(dir, "partial.html")]);
      expect(result.code, result.stderr).toBe(0);
      const html = readFileSync(join(dir, "partial.html"), "utf8");
      expect(html).toContain("<h2>Not in this report</h2>");
      expect(html).not.toContain('id="confusion"');
      const data = reportData(join(dir, "partial.html"));
      expect(data.metrics).toBeNull();
      expect(data.notes).toEqual([
        "no macro F1, confusion matrix, per-phase scores or latencies: no stage scores the predictions this fit draws (knn.predictions); " +
          "add one that uses evaluate, with `predictions: knn.predictions`",
      ]);
      // a recorded run draws as it was wired then: the first run had score
      const old = await runCli(dir, ["report", "--run", runId, "--out", join(dir, "old.html")]);
      expect(old.code, old.stderr).toBe(0);
      expect(reportData(join(dir, "old.html")).metrics.macro_f1).toBeCloseTo(scores.macro_f1, 5);
    } finally {
      writeFileSync(join(dir, "pipeline.yaml"), yaml(STAGES));
    }
  });

  it("without a stage that uses write-fit, report is a config error naming the stage to add (exit 3)", async () => {
    writeFileSync(join(dir, "pipeline.yaml"), yaml(without("embedding", "dashboard")));
    try {
      const result = await runCli(dir, ["report"]);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(
        "error: the report draws the fit a stage that uses write-fit makes " +
          "(the 3-D scatter of its meta, xyz, predictions, clusters inputs), " +
          "and pipeline.yaml has no such stage",
      );
      expect(result.stderr).toContain(
        "inputs: { meta: load.meta, xyz: project.xyz, predictions: classify.predictions, clusters: cluster.labels }",
      );
      const streamed = await runCli(dir, ["stream", "--dry-run"]);
      expect(streamed.code).toBe(3);
      expect(streamed.stderr).toContain(
        "error: stream: pipeline.yaml has no stage that uses publish, nor a fit (a stage that uses write-fit) to replay",
      );
    } finally {
      writeFileSync(join(dir, "pipeline.yaml"), yaml(STAGES));
    }
  });

  it("names the renamed stage a report still needs when it is not cached (exit 1)", async () => {
    const result = await runCli(dir, ["report", "--set", "groups.k=4"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the report needs groups, which are not cached for pipeline.yaml with --set groups.k=4");
  });
});
