import { describe, expect, it } from "vitest";
import { buildExpTable } from "../../../src/exp/table.ts";
import { renderReport } from "../../../src/report/render.ts";
import { axisOf, buildRunsView, categoryLabel } from "../../../src/report/runs.ts";
import { runLog } from "../exp/fixtures.ts";
import { SAMPLE_RUNS, sampleReportData } from "./sample-report.ts";

describe("buildRunsView", () => {
  it("makes one axis per parameter that differs, numbers numeric and words as sorted categories", () => {
    const view = buildRunsView(buildExpTable(SAMPLE_RUNS));
    expect(view.axes).toEqual([
      { param: "project.method", kind: "category", categories: ["lda", "pca"] },
      { param: "cluster.k", kind: "numeric", categories: [] },
    ]);
    expect(view.runs).toHaveLength(6);
    const newest = view.runs[0]!; // k 12, lda
    expect(newest.x).toEqual({ "project.method": 0, "cluster.k": 12 });
    expect(newest.metrics["evaluate.macro_f1"]).toBeCloseTo(0.6 + 0.24 + 0.05, 12);
  });

  it("leaves a run off an axis whose parameter it lacks, and keeps null as a category", () => {
    const lacking = runLog(3, { params: { project: { method: "pca" } } }); // no cluster stage params at all
    const nullK = runLog(2);
    nullK.params.cluster = { ...(nullK.params.cluster as object), k: null };
    const view = buildRunsView(buildExpTable([runLog(1, { k: 5 }), nullK, lacking]));
    const k = view.axes.find((a) => a.param === "cluster.k")!;
    expect(k).toEqual({ param: "cluster.k", kind: "category", categories: ["5", "null"] });
    expect(view.runs.map((r) => r.x["cluster.k"])).toEqual([undefined, 1, 0]); // newest first
  });

  it("picks the first preferred metric a run has, else the first metric column", () => {
    const table = buildExpTable(SAMPLE_RUNS);
    expect(buildRunsView(table, { preferred: ["nope.metric", "cluster.inertia"] }).metric).toBe("cluster.inertia");
    expect(buildRunsView(table).metric).toBe(table.metricColumns[0]);
    expect(buildRunsView(buildExpTable([])).metric).toBeUndefined();
  });

  it("marks the drawn run only when it is one of the shown runs", () => {
    const table = buildExpTable(SAMPLE_RUNS);
    expect(buildRunsView(table, { current: SAMPLE_RUNS[2]!.id }).current).toBe(SAMPLE_RUNS[2]!.id);
    expect(buildRunsView(table, { current: "gone" }).current).toBeUndefined();
  });

  it("has no axes when every run has the same parameters", () => {
    expect(buildRunsView(buildExpTable([runLog(1), runLog(2)])).axes).toEqual([]);
  });
});

describe("axisOf and categoryLabel", () => {
  it("orders numeric-looking categories by value, before text", () => {
    expect(axisOf("p", [10, "b", 9, "a", true]).categories).toEqual(["9", "10", "a", "b", "true"]);
    expect(axisOf("p", [0.5, 2, undefined]).kind).toBe("numeric");
    expect(axisOf("p", [Number.NaN, 1]).categories).toEqual(["1", "NaN"]);
  });

  it("spells lists as canonical JSON", () => {
    expect(categoryLabel(["b", "a"])).toBe('["b","a"]');
    expect(categoryLabel({ z: 1, a: 2 })).toBe('{"a":2,"z":1}');
    expect(categoryLabel(undefined)).toBe("null");
  });
});

describe("the runs section in the page", () => {
  it("lists every run with its swept values, marks the drawn one, and offers every metric", () => {
    const data = sampleReportData();
    const html = renderReport(data);
    expect(html.match(/<tr[^>]* data-run="/g)).toHaveLength(SAMPLE_RUNS.length);
    expect(html.match(/<tr class="drawn"/g)).toHaveLength(1);
    expect(html).toContain(`<tr class="drawn" data-run="${data.runId}">`);
    for (const metric of data.runs.metricColumns) expect(html).toContain(`<option value="${metric}"`);
    expect(html).toContain('<option value="evaluate.macro_f1" selected>');
    expect(html).toContain("parameters that differ between them: <code>project.method</code>, <code>cluster.k</code>");
  });

  it("says how to get runs to compare when there are none", () => {
    const data = { ...sampleReportData(), runs: buildRunsView(buildExpTable([])) };
    const html = renderReport(data);
    expect(html).toContain("no run is recorded yet");
    expect(html).not.toContain('id="runs-metric"');
  });
});
