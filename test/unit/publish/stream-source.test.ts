import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPipeline } from "../../../src/config/load.ts";
import { packageRoot } from "../../../src/core/paths.ts";
import { streamSource } from "../../../src/publish/stream-source.ts";
import { builtinStages } from "../../../stages/index.ts";
import { removeTestProjects, testProject } from "../../helpers/cli.ts";

afterAll(removeTestProjects);

const SHIPPED = readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8");

function sourceOf(yaml: string) {
  const dir = testProject({ "pipeline.yaml": yaml });
  return { dir, source: streamSource(loadPipeline(dir, builtinStages)) };
}

const WITHOUT_PUBLISH = SHIPPED.replace(/\n {2}# The only stage[\s\S]*$/, "\n");

describe("streamSource", () => {
  it("replays the files the publish stage's inputs are written to, with its params", () => {
    const { dir, source } = sourceOf(SHIPPED);
    expect(source.files).toEqual({
      fit: { path: join(dir, "data/processed/knn_v1.parquet"), display: "data/processed/knn_v1.parquet" },
      metrics: { path: join(dir, "data/processed/metrics_v1.json"), display: "data/processed/metrics_v1.json" },
    });
    expect(source.publish).toMatchObject({
      stage: "publish",
      params: { url: "http://127.0.0.1:8447/publish", max_points: 2000, backoff_ms: 100 },
    });
  });

  it("follows a renamed publish stage and renamed producers to the files they declare", () => {
    const yaml = SHIPPED.replace("\n  write-fit:\n", "\n  fit:\n    uses: write-fit\n")
      .replace("\n  evaluate:\n", "\n  score:\n    uses: evaluate\n")
      .replace("\n  publish:\n    params:\n", "\n  dashboard:\n    uses: publish\n    params:\n")
      .replace("burst: 50", "burst: 7")
      .replace("fit: write-fit.fit", "fit: fit.fit")
      .replace("metrics: evaluate.metrics", "metrics: score.metrics")
      .replace("data/processed/knn_v1.parquet", "out/embedding.parquet")
      .replace("data/processed/metrics_v1.json", "out/scores.json");
    const { dir, source } = sourceOf(yaml);
    expect(source.files).toEqual({
      fit: { path: join(dir, "out/embedding.parquet"), display: "out/embedding.parquet" },
      metrics: { path: join(dir, "out/scores.json"), display: "out/scores.json" },
    });
    expect(source.publish).toMatchObject({ stage: "dashboard", params: { burst: 7 } });
  });

  it("without a publish stage, replays the fit the report draws and its evaluation", () => {
    const { dir, source } = sourceOf(WITHOUT_PUBLISH);
    expect(source.publish).toBeUndefined();
    expect(source.files.fit).toEqual({ path: join(dir, "data/processed/knn_v1.parquet"), display: "data/processed/knn_v1.parquet" });
    expect(source.files.metrics).toEqual({ path: join(dir, "data/processed/metrics_v1.json"), display: "data/processed/metrics_v1.json" });
  });

  it("says which output is written to no file, and how to declare one", () => {
    const { source } = sourceOf(SHIPPED.replace("    outputs:\n      metrics: data/processed/metrics_v1.json\n", ""));
    expect(source.files.metrics).toEqual({
      lack: "pipeline.yaml writes evaluate.metrics (the metrics to replay) to no file",
      hint:
        "declare one under stages.evaluate.outputs in pipeline.yaml (`metrics: data/processed/...`) " +
        "and run `pipeline run`, or give --metrics PATH",
    });
  });

  it("says what kind of stage is missing when there is neither publish nor a fit", () => {
    const { source } = sourceOf(WITHOUT_PUBLISH.replace(/\n {2}write-fit:\n(?: {4}.*\n)+/, "\n"));
    expect(source.files.fit).toEqual({
      lack: "pipeline.yaml has no stage that uses publish, nor a fit (a stage that uses write-fit) to replay",
      hint: "give --fit PATH, or add the stage to pipeline.yaml (the shipped one has both)",
    });
  });
});
