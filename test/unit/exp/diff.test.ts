import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/core/errors.ts";
import { diffMetrics, diffParams } from "../../../src/exp/diff.ts";
import { renderDiff } from "../../../src/exp/render-diff.ts";
import { findRun, resolvePair, workspaceRun } from "../../../src/exp/resolve.ts";
import { runLog, stage } from "./fixtures.ts";

const BASE = runLog(1, { f1: 0.75, inertia: 2e7 });
const K5 = runLog(2, { k: 5, method: "pca", config: "override", name: "k5", f1: 0.8, inertia: 2.5e7 });

describe("diffParams", () => {
  it("gives DVC's rows for the params that differ: path = stage, name = param", () => {
    expect(diffParams(BASE, K5)).toEqual([
      { path: "project", name: "method", old: "lda", new: "pca" },
      { path: "cluster", name: "k", old: 8, new: 5 },
    ]);
  });

  it("--all lists unchanged ones too, the seed under path ''", () => {
    const rows = diffParams(BASE, K5, { all: true });
    expect(rows.map((r) => `${r.path}.${r.name}`)).toEqual([
      ".seed",
      "project.method",
      "project.sample_for_fit",
      "cluster.k",
      "cluster.n_init",
    ]);
    expect(rows[0]).toEqual({ path: "", name: "seed", old: 0, new: 0 });
  });

  it("compares by canonical JSON and names a param only one side has with null on the other", () => {
    const a = runLog(1, { params: { classify: { split: { kind: "host", hosts: ["a"] } } } });
    const b = runLog(2, { params: { classify: { split: { hosts: ["a"], kind: "host" }, k: 10 } } });
    expect(diffParams(a, b)).toEqual([{ path: "classify", name: "k", old: null, new: 10 }]);
    expect(diffParams(b, a)).toEqual([{ path: "classify", name: "k", old: 10, new: null }]);
  });
});

describe("diffMetrics", () => {
  it("gives old, new and change for the metrics that differ", () => {
    const rows = diffMetrics(BASE, K5);
    expect(rows).toEqual([
      { path: "cluster", name: "inertia", old: 2e7, new: 2.5e7, change: 5e6 },
      { path: "evaluate", name: "macro_f1", old: 0.75, new: 0.8, change: expect.closeTo(0.05, 12) },
    ]);
  });

  it("--all keeps unchanged metrics; a stage skipped on one side gives null and no change", () => {
    const failed = runLog(3, { ok: false, stages: [stage("cluster", "ran", { inertia: 2e7 }), stage("evaluate", "skipped")] });
    expect(diffMetrics(BASE, failed)).toEqual([
      { path: "evaluate", name: "latency.single_window_ms", old: 5.6, new: null, change: null },
      { path: "evaluate", name: "macro_f1", old: 0.75, new: null, change: null },
    ]);
    expect(diffMetrics(BASE, failed, { all: true })[0]).toEqual({ path: "cluster", name: "inertia", old: 2e7, new: 2e7, change: 0 });
  });
});

describe("finding runs", () => {
  const runs = [
    BASE,
    K5,
    runLog(3, { name: "sweep", variant: { "cluster.k": 3 }, config: "override" }),
    runLog(4, { name: "sweep", variant: { "cluster.k": 4 }, config: "override" }),
  ];

  it("by id, unique id prefix or name", () => {
    expect(findRun(runs, K5.id)).toBe(K5);
    expect(findRun(runs, "2026-01-01T10-02")).toBe(K5);
    expect(findRun(runs, "k5")).toBe(K5);
  });

  it("refuses a ref that matches nothing or several runs, listing candidates", () => {
    expect(() => findRun(runs, "nope")).toThrow(UsageError);
    try {
      findRun(runs, "sweep");
      expect.unreachable();
    } catch (error) {
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as UsageError).message).toBe('"sweep" matches 2 runs');
      expect((error as UsageError).hint).toContain(runs[3]!.id);
      expect((error as UsageError).hint).toContain("cluster.k=3");
    }
    expect(() => findRun(runs, "2026-01-01T10")).toThrow(/matches 4 runs/);
    expect(() => findRun([], "x")).toThrow(/no recorded run/);
  });

  it("the workspace run is the newest yaml run; the default pair is the newest other run against it", () => {
    expect(workspaceRun(runs)).toBe(BASE);
    expect(resolvePair(runs)).toEqual({ a: runs[3], b: BASE });
    expect(resolvePair(runs, "k5")).toEqual({ a: K5, b: BASE });
    expect(resolvePair(runs, "k5", runs[3]!.id)).toEqual({ a: K5, b: runs[3] });
    const edited = runLog(5, { k: 6 }); // the yaml edited and run again: the previous run is the baseline
    expect(resolvePair([...runs, edited])).toEqual({ a: runs[3], b: edited });
    expect(resolvePair([BASE, runLog(2, { k: 6 })])).toEqual({ a: BASE, b: runLog(2, { k: 6 }) });
  });

  it("without yaml runs, the newest run is the workspace; one run alone cannot be diffed", () => {
    const old = { ...BASE, config: undefined };
    expect(workspaceRun([old, { ...K5 }])).toEqual(K5);
    expect(() => resolvePair([BASE])).toThrow(/only one run/);
    expect(() => resolvePair([])).toThrow(/no runs are recorded/);
  });
});

describe("renderDiff", () => {
  it("text: which runs, then aligned rows with a signed change", () => {
    const text = renderDiff({ a: BASE, b: K5, metrics: diffMetrics(BASE, K5) }, "text");
    const lines = text.split("\n");
    expect(lines[0]).toBe(`old: ${BASE.id}`);
    expect(lines[1]).toBe(`new: ${K5.id} (k5)`);
    expect(lines[3]).toMatch(/^path\s+metric\s+old\s+new\s+change$/);
    expect(lines[5]).toMatch(/^cluster\s+inertia\s+20000000\s+25000000\s+\+5000000$/);
    expect(lines[6]).toMatch(/^evaluate\s+macro_f1\s+0\.75\s+0\.8\s+\+0\.05$/);
  });

  it("text: both sections for exp diff, and says when nothing differs", () => {
    const text = renderDiff({ a: BASE, b: BASE, params: diffParams(BASE, BASE), metrics: diffMetrics(BASE, BASE) }, "text");
    expect(text).toContain("Params:\nno parameter differs");
    expect(text).toContain("Metrics:\nno metric differs");
  });

  it("md: markdown tables under headings", () => {
    const md = renderDiff({ a: BASE, b: K5, params: diffParams(BASE, K5), metrics: diffMetrics(BASE, K5) }, "md");
    expect(md).toContain("### Params\n| path | param | old | new |\n|---|---|---|---|\n| project | method | lda | pca |");
    expect(md).toContain("### Metrics\n| path | metric | old | new | change |\n|---|---|---:|---:|---:|");
  });

  it("json: the two runs and the rows", () => {
    const json = JSON.parse(renderDiff({ a: BASE, b: K5, params: diffParams(BASE, K5) }, "json"));
    expect(json).toEqual({ a: { id: BASE.id, name: null }, b: { id: K5.id, name: "k5" }, params: diffParams(BASE, K5) });
  });
});
