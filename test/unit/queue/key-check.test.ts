import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openProject } from "../../../src/cli/project.ts";
import { sha256 } from "../../../src/core/hash.ts";
import { keyPartsFor, type KeyParts } from "../../../src/core/keys.ts";
import { packageRoot } from "../../../src/core/paths.ts";
import { keyMismatch } from "../../../src/queue/key-check.ts";
import { removeTestProjects, testProject } from "../../helpers/cli.ts";

afterAll(removeTestProjects);

const VALIDATION = "data/demo/validation_v1.parquet";

/** A worker's clone: the shipped pipeline.yaml, input files of a few bytes (nothing here reads them as data). */
async function workerClone() {
  const dir = testProject({
    "pipeline.yaml": readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8"),
    "data/demo/features_window_v1.parquet": "windows",
    "data/demo/feature_schema_v1.json": "{}",
    [VALIDATION]: "validation rows",
  });
  const project = await openProject(dir, [], () => undefined);
  const stage = project.pipeline.stages.get("classify")!;
  const upstream = new Map([
    ["standardize.features", "a".repeat(64)],
    ["load.meta", "b".repeat(64)],
  ]);
  // the coordinator's key record, from the same clone: what a job carries
  const job = keyPartsFor(stage, 0, project.code.get("classify")!, upstream, (p) => project.hasher.hash(p)) as KeyParts;
  return { dir, project, stage, job };
}

describe("a worker recomputes a job's key record from its own clone", () => {
  it("agrees with a job from the same commit, whatever the coordinator's --set of params and seed", async () => {
    const { project, stage, job } = await workerClone();
    expect(keyMismatch(project, stage, job)).toEqual([]);
    expect(keyMismatch(project, stage, { ...job, params: { ...(job.params as object), k: 3 }, seed: 99 })).toEqual([]);
  });

  it("names another release's engine, stage version and code, coordinator -> worker", async () => {
    const { project, stage, job } = await workerClone();
    const mine = project.code.get("classify")!;
    expect(keyMismatch(project, stage, { ...job, engine: "0", version: "0", code: "c".repeat(64) })).toEqual([
      `pipeline engine version: 0 -> ${job.engine}`,
      `stage version: 0 -> ${stage.def.version}`,
      `stage code changed: cccccccc.. -> ${mine.slice(0, 8)}..`,
    ]);
    expect(keyMismatch(project, stage, { ...job, uses: "knn" })).toEqual(["stage uses: knn -> classify"]);
  });

  it("names an input file whose bytes differ, and an input wired differently", async () => {
    const { dir, project, stage, job } = await workerClone();
    writeFileSync(join(dir, VALIDATION), "other validation rows");
    const now = sha256(readFileSync(join(dir, VALIDATION)));
    const was = job.sources.validation!;
    expect(keyMismatch(project, stage, job)).toEqual([`input file validation: sha ${was.slice(0, 8)}.. -> ${now.slice(0, 8)}..`]);
    writeFileSync(join(dir, VALIDATION), "validation rows");
    const { meta: _meta, ...inputs } = job.inputs;
    expect(keyMismatch(project, stage, { ...job, inputs: { ...inputs, labels: "d".repeat(64) } })).toEqual([
      "input meta: wired in this worker's pipeline.yaml, not the coordinator's",
      "input labels: wired in the coordinator's pipeline.yaml, not this worker's",
    ]);
  });

  it("an input file missing from the clone is an error naming it (an attempt BullMQ retries), not a refusal", async () => {
    const { dir, project, stage, job } = await workerClone();
    rmSync(join(dir, VALIDATION));
    let thrown: Error | undefined;
    try {
      keyMismatch(project, stage, job);
    } catch (error) {
      thrown = error as Error;
    }
    expect(thrown?.message).toBe(
      `input validation: this worker cannot read ${VALIDATION} (it does not exist); its clone needs the coordinator's input files`,
    );
    expect(thrown?.name).toBe("Error"); // BullMQ does not retry an UnrecoverableError (JobRefused)
  });
});
