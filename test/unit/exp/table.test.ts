import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/core/errors.ts";
import { renderTableCsv, renderTableJson, renderTableMarkdown, renderTableText, YAML_LEGEND } from "../../../src/exp/render-table.ts";
import { buildExpTable } from "../../../src/exp/table.ts";
import { runLog, stage } from "./fixtures.ts";

/** Three runs: the yaml baseline, then two --set experiments on cluster.k (oldest first here, on purpose). */
const RUNS = [
  runLog(1, { f1: 0.77, inertia: 2.1e7 }),
  runLog(2, { k: 5, config: "override", name: "k5", f1: 0.8123456, inertia: 2.5e7 }),
  runLog(3, { k: 12, config: "override", name: "k12", f1: 0.7, inertia: 1.5e7 }),
];

describe("buildExpTable", () => {
  it("has one row per run, newest first, and only the parameter columns that differ", () => {
    const table = buildExpTable(RUNS);
    expect(table.rows.map((r) => r.name)).toEqual(["k12", "k5", undefined]);
    expect(table.paramColumns).toEqual(["cluster.k"]);
    expect(table.metricColumns).toEqual(["cluster.inertia", "evaluate.latency.single_window_ms", "evaluate.macro_f1"]);
    expect(table.rows.map((r) => r.params.get("cluster.k"))).toEqual([12, 5, 8]);
    expect(table.rows[1]!.metrics.get("evaluate.macro_f1")).toBe(0.8123456);
  });

  it("shows every parameter, the seed included, with allParams", () => {
    const table = buildExpTable(RUNS, { allParams: true });
    expect(table.paramColumns).toEqual(["seed", "project.method", "project.sample_for_fit", "cluster.k", "cluster.n_init"]);
  });

  it("compares parameter values by canonical JSON: key order is no difference, a missing param is", () => {
    const a = runLog(1, { params: { classify: { split: { kind: "host", hosts: ["a", "b"] } } } });
    const b = runLog(2, { params: { classify: { split: { hosts: ["a", "b"], kind: "host" } } } });
    expect(buildExpTable([a, b]).paramColumns).toEqual([]);
    const c = runLog(3, { params: { classify: {} } });
    expect(buildExpTable([a, b, c]).paramColumns).toEqual(["classify.split"]);
    expect(buildExpTable([a, b, c]).rows[0]!.params.has("classify.split")).toBe(false);
  });

  it("sorts ascending by default, descending with sortOrder desc, by a column or its unique ending", () => {
    expect(buildExpTable(RUNS, { sortBy: "evaluate.macro_f1" }).rows.map((r) => r.params.get("cluster.k"))).toEqual([12, 8, 5]);
    expect(buildExpTable(RUNS, { sortBy: "macro_f1", sortOrder: "desc" }).rows.map((r) => r.params.get("cluster.k"))).toEqual([5, 8, 12]);
    expect(buildExpTable(RUNS, { sortBy: "cluster.k" }).rows.map((r) => r.name)).toEqual(["k5", undefined, "k12"]);
  });

  it("sorts numerically, not as text, and puts runs without the value last in either order", () => {
    const failed = runLog(4, {
      ok: false,
      k: 3,
      stages: [stage("project", "failed"), stage("cluster", "skipped"), stage("evaluate", "skipped")],
    });
    const runs = [...RUNS, failed];
    expect(buildExpTable(runs, { sortBy: "inertia" }).rows.map((r) => r.params.get("cluster.k"))).toEqual([12, 8, 5, 3]);
    expect(buildExpTable(runs, { sortBy: "inertia", sortOrder: "desc" }).rows.map((r) => r.params.get("cluster.k"))).toEqual([5, 8, 12, 3]);
  });

  it("refuses an unknown or ambiguous sort column, listing the columns", () => {
    expect(() => buildExpTable(RUNS, { sortBy: "nope" })).toThrow(UsageError);
    expect(() => buildExpTable(RUNS, { sortBy: "nope" })).toThrow(/no such column/);
    const twoKs = runLog(4, { params: { cluster: { k: 8 }, classify: { k: 10 } } });
    expect(() => buildExpTable([...RUNS, twoKs], { sortBy: "k" })).toThrow(/ambiguous: cluster.k, classify.k/);
  });

  it("limits to the newest N runs before sorting, and the changed columns are those of the shown runs", () => {
    const table = buildExpTable([...RUNS, runLog(4, { k: 12, method: "pca" })], { limit: 2, sortBy: "macro_f1" });
    expect(table.rows.map((r) => r.id)).toEqual([RUNS[2]!.id, runLog(4).id]);
    expect(table.paramColumns).toEqual(["project.method"]); // both shown runs have k = 12
  });

  it("filters runs, e.g. one sweep's variants", () => {
    const table = buildExpTable(RUNS, { filter: (log) => log.config === "override" });
    expect(table.rows.map((r) => r.name)).toEqual(["k12", "k5"]);
  });

  it("leaves the metric cells of a skipped or failed stage empty", () => {
    const failed = runLog(4, { ok: false, stages: [stage("project", "ran"), stage("cluster", "failed"), stage("evaluate", "skipped")] });
    const table = buildExpTable([...RUNS, failed]);
    expect(table.rows[0]!.ok).toBe(false);
    expect([...table.rows[0]!.metrics.keys()]).toEqual([]);
    expect(table.metricColumns).toHaveLength(3);
  });

  it("is empty without runs", () => {
    expect(buildExpTable([])).toEqual({ paramColumns: [], metricColumns: [], rows: [] });
  });
});

describe("exp table renderers", () => {
  const table = buildExpTable(RUNS);

  it("text: aligned columns, numbers to 4 significant decimals, * on yaml runs and its legend", () => {
    const text = renderTableText(table);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(
      /^\s+run\s+name\s+when\s+status\s+cluster\.k\s+cluster\.inertia\s+evaluate\.latency\.single_window_ms\s+evaluate\.macro_f1$/,
    );
    expect(lines[1]).toMatch(/^-* +-+/);
    expect(lines[2]).toContain("k12");
    expect(lines[3]).toContain("0.8123");
    expect(lines[3]).not.toContain("0.81234");
    expect(lines[4]!.startsWith("*")).toBe(true);
    expect(lines[4]).toContain("2026-01-01 10:01:00");
    expect(lines[4]).toContain("21000000");
    expect(lines[2]!.startsWith(" ")).toBe(true);
    // every row is as wide as the header's columns: the metric cells end at the same place
    expect(new Set(lines.slice(2, 5).map((l) => l.length)).size).toBe(1);
    expect(lines.at(-1)).toBe(YAML_LEGEND);
  });

  it("csv: a header of the columns, full precision, config spelled out, RFC 4180 quoting", () => {
    const quoted = buildExpTable([runLog(1), runLog(2, { name: 'say "hi", twice\nplease', method: "a,b" })]);
    const csv = renderTableCsv(quoted);
    expect(csv.split("\n")[0]).toBe(
      "id,name,started,status,config,project.method,cluster.inertia,evaluate.latency.single_window_ms,evaluate.macro_f1",
    );
    expect(csv).toContain(`,"say ""hi"", twice\nplease",2026-01-01T10:02:00.000Z,ok,yaml,"a,b",21000000,5.6,0.77`);
    expect(renderTableCsv(table)).toContain(",0.8123456");
  });

  it("csv: an empty field for a missing metric", () => {
    const failed = runLog(4, { ok: false, stages: [stage("cluster", "ran", { inertia: 3 }), stage("evaluate", "skipped")] });
    expect(renderTableCsv(buildExpTable([runLog(1), failed])).split("\n")[1]).toMatch(/,failed,yaml,3,,$/);
  });

  it("md: a GitHub table with a rule row, numbers right-aligned, pipes escaped", () => {
    const md = renderTableMarkdown(buildExpTable([runLog(1), runLog(2, { name: "a|b", config: "override", f1: 0.5 })]));
    const lines = md.split("\n");
    expect(lines[0]).toBe("|   | run | name | when | status | cluster.inertia | evaluate.latency.single_window_ms | evaluate.macro_f1 |");
    expect(lines[1]).toBe("|---|---|---|---|---|---:|---:|---:|");
    expect(lines[2]).toContain("| a\\|b |");
    expect(lines[3]!.startsWith("| * |")).toBe(true);
  });

  it("json: one object per row with params and metrics maps, null for what a run lacks", () => {
    const failed = runLog(4, {
      ok: false,
      config: "override",
      stages: [stage("cluster", "ran", { inertia: 3 }), stage("evaluate", "skipped")],
    });
    const rows = JSON.parse(renderTableJson(buildExpTable([...RUNS, failed])));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({
      id: failed.id,
      name: null,
      started: failed.started,
      status: "failed",
      config: "override",
      variant: null,
      params: { "cluster.k": 8 },
      metrics: { "cluster.inertia": 3, "evaluate.latency.single_window_ms": null, "evaluate.macro_f1": null },
    });
    expect(rows[3].config).toBe("yaml");
    expect(rows[2].metrics["evaluate.macro_f1"]).toBe(0.8123456);
  });
});
