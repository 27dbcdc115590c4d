import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPipeline } from "../../../src/config/load.ts";
import type { StageResult } from "../../../src/core/events.ts";
import { packageRoot } from "../../../src/core/paths.ts";
import type { AnyStage } from "../../../src/core/stage.ts";
import { findReportParts, wiringOfPipeline, wiringOfRun } from "../../../src/report/parts.ts";
import { builtinStages } from "../../../stages/index.ts";
import { removeTestProjects, testProject } from "../../helpers/cli.ts";

afterAll(removeTestProjects);

const SHIPPED = readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8");
const defOf = (uses: string): AnyStage | undefined => builtinStages.find((def) => def.name === uses);

/** The shipped pipeline.yaml with `stages.NAME:` and every `NAME.` reference renamed. */
function renamed(yaml: string, renames: Record<string, string>): string {
  let out = yaml;
  for (const [from, to] of Object.entries(renames)) {
    out = out
      .replace(new RegExp(`^  ${from}:\\n`, "m"), `  ${to}:\n    uses: ${from}\n`)
      .replace(new RegExp(`\\b${from}\\.(?=[a-z])`, "g"), `${to}.`);
  }
  return out;
}

const wiring = (yaml: string) => wiringOfPipeline(loadPipeline(testProject({ "pipeline.yaml": yaml }), builtinStages));

describe("findReportParts", () => {
  it("finds the shipped pipeline's outputs", () => {
    expect(findReportParts(wiring(SHIPPED))).toEqual({
      fitStage: "write-fit",
      scatter: { meta: "load.meta", xyz: "project.xyz", predictions: "classify.predictions", clusters: "cluster.labels" },
      evaluation: "evaluate.metrics",
      projection: "project.info",
      notes: [],
    });
  });

  it("follows renamed stages by what they use and how they are wired", () => {
    const yaml = renamed(SHIPPED, { classify: "knn", project: "embed", evaluate: "score", "write-fit": "fit" });
    expect(findReportParts(wiring(yaml))).toEqual({
      fitStage: "fit",
      scatter: { meta: "load.meta", xyz: "embed.xyz", predictions: "knn.predictions", clusters: "cluster.labels" },
      evaluation: "score.metrics",
      projection: "embed.info",
      notes: [],
    });
  });

  it("leaves out the evaluation, saying how to add it, when no stage scores the fit's predictions", () => {
    const yaml = SHIPPED.replace(/\n {2}evaluate:\n(?: {4}.*\n)+/, "\n")
      .replace(/ {6}metrics: evaluate\.metrics\n/, "")
      .replace(/\n {2}# The only stage[\s\S]*$/, "\n");
    const parts = findReportParts(wiring(yaml))!;
    expect(parts.evaluation).toBeUndefined();
    expect(parts.projection).toBe("project.info");
    expect(parts.notes).toEqual([
      "no macro F1, confusion matrix, per-phase scores or latencies: " +
        "no stage scores the predictions this fit draws (classify.predictions); " +
        "add one that uses evaluate, with `predictions: classify.predictions`",
    ]);
  });

  it("does not take an evaluation of other predictions than the fit's", () => {
    const other = [
      "  knn_random:",
      "    uses: classify",
      "    params: { split: random }",
      "    inputs: { features: standardize.features, meta: load.meta, validation: data/demo/validation_v1.parquet }",
      "",
    ].join("\n");
    const yaml = SHIPPED.replace("\n  evaluate:\n", `\n${other}\n  evaluate:\n`).replace(
      "predictions: classify.predictions\n      neighbours",
      "predictions: knn_random.predictions\n      neighbours",
    );
    const parts = findReportParts(wiring(yaml))!;
    expect(parts.scatter.predictions).toBe("classify.predictions");
    expect(parts.evaluation).toBeUndefined();
  });

  it("draws the first of several fits and says so", () => {
    const yaml = SHIPPED.replace(
      "\n  # The only stage",
      "\n  fit-b:\n    uses: write-fit\n" +
        "    inputs: { meta: load.meta, xyz: project.xyz, predictions: classify.predictions, clusters: cluster.labels }\n" +
        "\n  # The only stage",
    );
    const parts = findReportParts(wiring(yaml))!;
    expect(parts.fitStage).toBe("fit-b"); // pipeline order: ties broken by name
    expect(parts.notes).toEqual(["2 stages use write-fit (fit-b, write-fit); this page draws the first, fit-b"]);
  });

  it("finds nothing without a stage that uses write-fit", () => {
    const yaml = SHIPPED.replace(/\n {2}write-fit:\n(?: {4}.*\n)+/, "\n").replace(/\n {2}# The only stage[\s\S]*$/, "\n");
    expect(findReportParts(wiring(yaml))).toBeUndefined();
  });
});

describe("wiringOfRun", () => {
  const out = (hash: string, kind: "matrix" | "table" | "json" | "file" = "table") => ({ hash, size: 1, kind });
  const stage = (
    name: string,
    uses: string,
    inputs: Record<string, string>,
    outputs: StageResult["outputs"],
    status: StageResult["status"] = "ran",
  ): StageResult => ({
    name,
    status,
    ms: 1,
    key: "k",
    reason: "",
    parts: { uses, inputs },
    outputs,
  });

  it("wires each input to the output that held its recorded bytes", () => {
    const stages = [
      stage("ld", "load", {}, { meta: out("m"), features: out("f", "matrix") }),
      stage("embed", "project", { features: "f", meta: "m" }, { xyz: out("x", "matrix"), info: out("i", "json") }),
      stage("fit", "write-fit", { meta: "m", xyz: "x", predictions: "p", clusters: "c" }, { fit: out("F", "file") }),
      stage("knn", "classify", {}, { predictions: out("p") }, "skipped"),
    ];
    const wired = wiringOfRun(stages, defOf);
    expect(wired.map((s) => [s.name, s.def?.name, s.inputs])).toEqual([
      ["ld", "load", {}],
      ["embed", "project", { features: "ld.features", meta: "ld.meta" }],
      ["fit", "write-fit", { meta: "ld.meta", xyz: "embed.xyz" }], // predictions and clusters: no stage of the run made them
    ]);
    expect(findReportParts(wired)).toBeUndefined(); // a fit whose inputs are not all known draws nothing
  });
});
