import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../src/core/paths.ts";
import { removeTestProjects, runCli, testProject } from "../helpers/cli.ts";

afterAll(removeTestProjects);

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
type Log = {
  id: string;
  name?: string;
  variant?: Record<string, string>;
  config?: string;
  stages: {
    name: string;
    status: string;
    key: string | null;
    outputs?: Record<string, { hash: string }>;
    metrics?: Record<string, number>;
  }[];
};

/* A 2 x 2 sweep on the shipped pipeline (3000 x 40 demo windows), compared with exp show and the diffs. */
describe("a sweep and its comparison", () => {
  let dir: string;
  let fit: string;
  let logs: Log[];
  const readLogs = () =>
    readdirSync(join(dir, "cache/runs"))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, "cache/runs", f), "utf8")) as Log);

  beforeAll(async () => {
    dir = testProject({ "pipeline.yaml": readFileSync(join(packageRoot(), "pipeline.yaml"), "utf8") });
    expect((await runCli(dir, ["demo-data", "--rows", "3000", "--features", "40"])).code).toBe(0);
    const base = await runCli(dir, ["run"]);
    expect(base.code, base.stderr).toBe(0);
    expect(base.stdout).toMatch(
      /^metrics: cluster\.inertia \S+, evaluate\.macro_f1 0\.\d+, evaluate\.latency\.batch64_per_window_ms \S+$/m,
    );
    fit = sha(join(dir, "data/processed/knn_v1.parquet"));
    const sweep = await runCli(dir, ["run", "--set", "cluster.k=5,6", "--set", "project.method=pca,lda", "--name", "grid", "--json"]);
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(JSON.parse(sweep.stdout.trim().split("\n").at(-1)!).ok).toBe(true);
    logs = readLogs();
  });

  it("records 4 named runs with their variants; the shared upstream stages ran once, in the first", () => {
    const grid = logs.filter((l) => l.name === "grid");
    expect(grid.map((l) => l.variant)).toEqual([
      { "cluster.k": "5", "project.method": "pca" },
      { "cluster.k": "5", "project.method": "lda" },
      { "cluster.k": "6", "project.method": "pca" },
      { "cluster.k": "6", "project.method": "lda" },
    ]);
    expect(grid.every((l) => l.config === "override")).toBe(true);
    const ran = (stage: string) => grid.filter((l) => l.stages.find((s) => s.name === stage)!.status === "ran").length;
    for (const upstream of ["load", "standardize", "classify", "evaluate"]) expect(ran(upstream)).toBe(0); // all cached from the base run
    expect(ran("cluster")).toBe(2); // k=5 once, k=6 once
    expect(ran("project")).toBe(1); // pca once (lda is the base run's)
  });

  it("leaves the declared outputs holding the yaml's configuration", () => {
    expect(sha(join(dir, "data/processed/knn_v1.parquet"))).toBe(fit);
  });

  it("exp show --csv has exactly the swept parameter columns and the metrics read back from the objects", async () => {
    const show = await runCli(dir, ["exp", "show", "--csv", "--name", "grid"]);
    expect(show.code, show.stderr).toBe(0);
    const [header, ...rows] = show.stdout
      .trim()
      .split("\n")
      .map((line) => line.split(","));
    const json = JSON.parse((await runCli(dir, ["exp", "show", "--json", "--name", "grid"])).stdout) as {
      params: Record<string, unknown>;
    }[];
    expect(json.map((r) => Object.keys(r.params).sort())).toEqual(Array(4).fill(["cluster.k", "project.method"]));
    expect(header).toContain("cluster.k");
    expect(header).toContain("project.method");
    expect(header).not.toContain("classify.k"); // not swept: not a column
    const col = (name: string) => header!.indexOf(name);
    for (const row of rows) {
      const log = logs.find((l) => l.id === row[col("id")])!;
      const cluster = log.stages.find((s) => s.name === "cluster")!;
      const info = JSON.parse(
        readFileSync(join(dir, "cache/objects", cluster.outputs!.info!.hash.slice(0, 2), cluster.outputs!.info!.hash), "utf8"),
      );
      expect(Number(row[col("cluster.inertia")])).toBe(info.inertia);
      expect(row[col("cluster.k")]).toBe(log.variant!["cluster.k"]);
    }
    expect(JSON.parse((await runCli(dir, ["exp", "show", "--json"])).stdout)).toHaveLength(5);
    const md = (await runCli(dir, ["exp", "show", "--md"])).stdout;
    expect(md.split("\n")[1]).toMatch(/^\|( ?:?-+:? ?\|)+$/);
  });

  it("metrics diff and exp diff between two known variants", async () => {
    const grid = logs.filter((l) => l.name === "grid");
    const [a, b] = [grid[0]!, grid[2]!]; // k=5 pca vs k=6 pca
    const metrics = await runCli(dir, ["metrics", "diff", a.id, b.id, "--json"]);
    expect(metrics.code, metrics.stderr).toBe(0);
    const list = (JSON.parse(metrics.stdout) as { metrics: { path: string; name: string; old: number; new: number; change: number }[] })
      .metrics;
    const inertia = list.find((r) => r.path === "cluster" && r.name === "inertia")!;
    expect(inertia.old).toBe(a.stages.find((s) => s.name === "cluster")!.metrics!.inertia);
    expect(inertia.new).toBe(b.stages.find((s) => s.name === "cluster")!.metrics!.inertia);
    expect(inertia.change).toBeCloseTo(inertia.new - inertia.old, 6);
    const diff = await runCli(dir, ["exp", "diff", a.id, b.id]);
    expect(diff.stdout).toMatch(/cluster\s+k\s+5\s+6/);
    expect(diff.stdout).not.toMatch(/project\s+method/);
  });
});
