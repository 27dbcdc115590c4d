import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealOf } from "../../src/cache/entries.ts";
import { packageRoot } from "../../src/core/paths.ts";
import { readParquet, writeParquet } from "../../src/io/parquet.ts";
import { removeTestProjects, runCli, stagesWith, testProject, type CliResult } from "../helpers/cli.ts";

afterAll(removeTestProjects);

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/*
 * The chaos run's cache faults on the shipped pipeline (3000 windows x 40 features): entries
 * rewritten to point at another stage's objects, a damaged object behind a deleted output,
 * outputs that differ from the cache. Each must be caught, never served with exit 0.
 */
describe("the shipped pipeline when its cache or outputs are tampered with", () => {
  let dir: string;
  let cold: CliResult;
  let fit: string;
  let metrics: Record<string, unknown>;
  const fitPath = () => join(dir, "data/processed/knn_v1.parquet");
  const metricsPath = () => join(dir, "data/processed/metrics_v1.json");
  const entryPath = (stage: string) => join(dir, "cache/entries", stage, `${keyOf(stage)}.json`);
  const keyOf = (stage: string) => cold.json!.stages.find((s) => s.name === stage)!.key!;
  const entry = (stage: string) => JSON.parse(readFileSync(entryPath(stage), "utf8"));
  const objectPath = (hash: string) => join(dir, "cache/objects", hash.slice(0, 2), hash);

  beforeAll(async () => {
    dir = testProject({ "pipeline.yaml": readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8") });
    expect((await runCli(dir, ["demo-data", "--rows", "3000", "--features", "40"])).code).toBe(0);
    cold = await runCli(dir, ["run", "--json"]);
    expect(cold.code, cold.stderr).toBe(0);
    fit = sha(fitPath());
    metrics = JSON.parse(readFileSync(metricsPath(), "utf8"));
  });

  /** evaluate's entry pointed at cluster's info object, as the chaos run did; `reseal` as a careful forger would. */
  function pointEvaluateAtClusterInfo(reseal: boolean): void {
    const evaluate = entry("evaluate");
    evaluate.outputs.metrics = { ...entry("cluster").outputs.info };
    if (reseal) evaluate.seal = sealOf(evaluate);
    writeFileSync(entryPath("evaluate"), JSON.stringify(evaluate));
  }

  it("an entry pointed at another stage's object by hand is damaged: warned, deleted, recomputed", async () => {
    pointEvaluateAtClusterInfo(false);
    rmSync(metricsPath());
    const run = await runCli(dir, ["run", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/cache entry for evaluate \([0-9a-f]{12}\) is damaged \(its content does not match its seal\)/);
    expect(stagesWith(run, "ran")).toEqual(["evaluate"]);
    const restored = JSON.parse(readFileSync(metricsPath(), "utf8"));
    expect(restored.macro_f1).toBe(metrics.macro_f1);
    expect(restored).not.toHaveProperty("best_init");
  });

  it("a resealed entry whose json is another stage's is refused by the slot's declared fields", async () => {
    pointEvaluateAtClusterInfo(true);
    const run = await runCli(dir, ["run", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/cache entry for evaluate .* is damaged: output metrics is not evaluate's metrics: /);
    expect(run.stderr).toMatch(/output metrics is not evaluate's metrics: it lacks fields split, k, n_train, n_test, macro_f1/);
    expect(stagesWith(run, "ran")).toEqual(["evaluate"]);
    expect(JSON.parse(readFileSync(metricsPath(), "utf8")).macro_f1).toBe(metrics.macro_f1);
  });

  it("standardize pointed at load's features is caught before any stage reads it", async () => {
    const standardize = entry("standardize");
    standardize.outputs.features = { ...entry("load").outputs.features };
    writeFileSync(entryPath("standardize"), JSON.stringify(standardize));
    const run = await runCli(dir, ["run", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/cache entry for standardize .* is damaged/);
    expect(run.stdout + run.stderr).not.toMatch(/bug|\n\s+at /);
    expect(stagesWith(run, "ran")).toEqual(["standardize"]); // same bytes again: early cutoff
    expect(sha(fitPath())).toBe(fit);
  });

  it("a resealed standardize entry holding load's raw features: clear stage errors, and verify finds it", async () => {
    const standardize = entry("standardize");
    standardize.outputs.features = { ...entry("load").outputs.features };
    standardize.seal = sealOf(standardize);
    writeFileSync(entryPath("standardize"), JSON.stringify(standardize));
    const run = await runCli(dir, ["run", "--keep-going", "--force", "classify", "--force", "cluster", "--force", "project"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("FAILED   classify: knn: features row 0 holds a NaN or infinite value");
    expect(run.stdout).toContain("FAILED   cluster: the features hold NaN or infinite values");
    expect(run.stdout).toContain("FAILED   project: the features hold NaN or infinite values");
    expect(run.stdout).not.toMatch(/bug|\n\s+at /);
    const verify = await runCli(dir, ["cache", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(
      /entry standardize [0-9a-f]{12} is damaged \(output features is not standardize's features: it holds a non-finite value at row 0/,
    );
    expect((await runCli(dir, ["run"])).code).toBe(0);
    expect(sha(fitPath())).toBe(fit);
  });

  it("cache verify finds a resealed entry of the wrong shape, deletes it, exits 1; then all is intact", async () => {
    pointEvaluateAtClusterInfo(true);
    const verify = await runCli(dir, ["cache", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(
      /entry evaluate [0-9a-f]{12} is damaged \(output metrics is not evaluate's metrics: it lacks fields .*macro_f1/,
    );
    const again = await runCli(dir, ["run", "--json"]);
    expect(stagesWith(again, "ran")).toEqual(["evaluate"]);
    expect((await runCli(dir, ["cache", "verify"])).code).toBe(0);
  });

  it("a flipped byte in write-fit's object and a deleted fit: --force write-fit writes the fit again, exit 0", async () => {
    const object = objectPath(entry("write-fit").outputs.fit.hash);
    const bytes = readFileSync(object);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(object, bytes);
    rmSync(fitPath());
    const run = await runCli(dir, ["run", "--json", "--force", "write-fit"]);
    expect(run.code, run.stderr).toBe(0);
    expect(stagesWith(run, "ran")).toEqual(["write-fit"]);
    expect(sha(fitPath())).toBe(fit);
    expect(sha(object)).toBe(entry("write-fit").outputs.fit.hash);
  });

  it("status reports a deleted output and one a --set run overwrote, as DVC's changed outs", async () => {
    rmSync(fitPath());
    const missing = await runCli(dir, ["status", "--json"]);
    const writeFit = JSON.parse(missing.stdout).stages.find((s: { name: string }) => s.name === "write-fit");
    expect(writeFit.state).toBe("outputs changed");
    expect(writeFit.outputs).toEqual([{ path: "data/processed/knn_v1.parquet", state: "missing" }]);
    const text = await runCli(dir, ["status"]);
    expect(text.stdout).toContain("output data/processed/knn_v1.parquet is missing");
    expect(text.stdout).not.toContain("everything is up to date");

    expect((await runCli(dir, ["run", "--set", "project.method=pca", "--write-outputs"])).code).toBe(0);
    const differs = await runCli(dir, ["status"]);
    expect(differs.stdout).toMatch(/write-fit\s+outputs changed/);
    expect(differs.stdout).toContain("output data/processed/knn_v1.parquet differs from the cache");
    expect((await runCli(dir, ["run"])).code).toBe(0);
    expect((await runCli(dir, ["status"])).stdout).toContain("everything is up to date");
  });

  it("run --check names the one differing column and the differing json fields, and says so in --json", async () => {
    const { table, types } = readParquet(readFileSync(fitPath()));
    const cluster = Int32Array.from(table.cluster as Int32Array);
    cluster[0] = cluster[0]! + 1;
    writeFileSync(
      fitPath(),
      writeParquet(
        Object.keys(table).map((name) => ({ name, type: types[name] as never, values: name === "cluster" ? cluster : table[name]! })),
      ),
    );
    writeFileSync(metricsPath(), JSON.stringify({ ...metrics, macro_f1: 0.5, n_test: 1 }, null, 2));

    const check = await runCli(dir, ["run", "--check"]);
    expect(check.code).toBe(5);
    expect(check.stdout).toMatch(/cluster\s+1\s+1\.000/);
    expect(check.stdout).not.toContain("same values");
    expect(check.stdout).toContain(`macro_f1: 0.5 -> ${metrics.macro_f1}`);
    expect(check.stdout).toContain(`n_test: 1 -> ${metrics.n_test}`);
    expect(check.stdout).toMatch(/^check failed: /m);
    expect(check.stdout).not.toMatch(/^ok: /m);

    const json = await runCli(dir, ["run", "--check", "--json"]);
    expect(json.code).toBe(5);
    const summary = JSON.parse(json.stdout.trim().split("\n").at(-1)!);
    expect(summary.ok).toBe(false);
    const byPath = Object.fromEntries(summary.check.map((c: { path: string }) => [c.path, c]));
    expect(byPath["data/processed/knn_v1.parquet"].state).toBe("differs");
    expect(byPath["data/processed/metrics_v1.json"].details).toContain(`macro_f1: 0.5 -> ${metrics.macro_f1}`);
    expect((await runCli(dir, ["run"])).code).toBe(0);
    expect(sha(fitPath())).toBe(fit);
  });
});
