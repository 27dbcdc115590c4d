import { describe, expect, it } from "vitest";
import type { ReportData } from "../../../src/report/data.ts";
import { embedJson, roundTo } from "../../../src/report/payload.ts";
import { REPORT_DATA_ID, renderReport } from "../../../src/report/render.ts";
import { sampleReportData } from "./sample-report.ts";

const DATA_BLOCK = new RegExp(`<script type="application/json" id="${REPORT_DATA_ID}">([\\s\\S]*?)</script>`);

function embeddedJson(html: string): any {
  const match = DATA_BLOCK.exec(html);
  if (!match) throw new Error("no embedded data block");
  return JSON.parse(match[1]!);
}

describe("renderReport", () => {
  it("references no external resource", () => {
    const html = renderReport(sampleReportData());
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/\s(src|href)=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain("default-src 'none'");
  });

  it("shows a URL from the params as text, never as a link or source", () => {
    const data = sampleReportData();
    data.params.publish = { url: "http://127.0.0.1:8080/events", max_points: 2000 };
    const html = renderReport(data);
    expect(html).toContain("<dd>http://127.0.0.1:8080/events</dd>");
    expect(html).not.toMatch(/\s(src|href)=/i);
  });

  it("embeds JSON that parses back to the data, numbers rounded", () => {
    const data = sampleReportData();
    const parsed = embeddedJson(renderReport(data));
    expect(parsed.title).toBe(data.title);
    expect(parsed.generatedFrom).toBe(data.generatedFrom);
    expect(parsed.seed).toBe(data.seed);
    for (const axis of ["x", "y", "z"] as const) {
      expect(parsed.points[axis]).toHaveLength(data.points[axis].length);
      parsed.points[axis].forEach((v: number, i: number) => expect(Math.abs(v - data.points[axis][i]!)).toBeLessThanOrEqual(5e-5));
    }
    for (const column of ["phase", "predicted", "cluster", "isTrain"] as const) {
      expect(parsed.points[column]).toEqual(Array.from(data.points[column]));
    }
    expect(parsed.metrics.confusion).toEqual(data.metrics.confusion);
    expect(parsed.metrics.n_test).toBe(data.metrics.n_test);
    parsed.metrics.per_class.forEach((row: any, i: number) => {
      const original = data.metrics.per_class[i]!;
      expect(row.phase).toBe(original.phase);
      expect(row.f1).toBeCloseTo(original.f1, 5);
      expect(row.support).toBe(original.support);
    });
    expect(parsed.metrics.latency.single_window_ms).toBe(0.83123);
    expect(parsed.stages).toEqual(data.stages);
    expect(parsed.params).toEqual(data.params);
    expect(parsed.projection.explained_ratio).toEqual([0.61235, 0.25123, 0.08123]);
    expect(parsed.phaseNames).toEqual({ 0: "clean", 1: "armed", 2: "infecting", 3: "infected_running", 4: "dormant", 5: "failed" });
  });

  it("keeps coordinates to 4 decimals", () => {
    const parsed = embeddedJson(renderReport(sampleReportData()));
    const decimals = (v: number): number => (String(v).split(".")[1] ?? "").length;
    expect(Math.max(...parsed.points.x.map(decimals))).toBeLessThanOrEqual(4);
  });

  it("cannot be broken out of by a </script> or <!-- in any string", () => {
    const data: ReportData = sampleReportData();
    data.title = "fit </script><script>alert(1)</script>";
    data.generatedFrom = "<!-- folder";
    data.params.load = { note: "</SCRIPT> and <!-- and \u2028" };
    const html = renderReport(data);
    // exactly two script elements end: the data block and the page script
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("<title>fit &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>");
    const parsed = embeddedJson(html);
    expect(parsed.title).toBe(data.title);
    expect(parsed.generatedFrom).toBe("<!-- folder");
    expect(parsed.params.load.note).toBe("</SCRIPT> and <!-- and \u2028");
  });

  it("renders every confusion cell with its count, summing to the test rows", () => {
    const data = sampleReportData();
    const html = renderReport(data);
    const counts = [...html.matchAll(/class="cm-cell[^"]*"[^>]*data-count="(\d+)"/g)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(36);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(data.metrics.n_test);
  });

  it("renders the stage timings, the params and the seed", () => {
    const html = renderReport(sampleReportData());
    expect(html).toMatch(
      /<th scope="row">classify<\/th>\s*<td><span class="badge badge-ran">ran<\/span><\/td>\s*<td class="num">2.41 s<\/td>/,
    );
    expect(html).toMatch(/badge-cached">cached</);
    expect(html).toContain("<dt>train_hosts</dt><dd>elliott-thinkpad, lab-node-01, lab-node-02</dd>");
    expect(html).toContain("seed <code>42</code>");
    expect(html).toContain("<dt>explained_ratio</dt><dd>0.6123, 0.2512, 0.0812</dd>");
  });

  it("gives the same bytes for the same data", () => {
    expect(renderReport(sampleReportData())).toBe(renderReport(sampleReportData()));
  });

  it("leaves out the sections no stage feeds and lists why, with how to add them", () => {
    const complete = renderReport(sampleReportData());
    expect(complete).not.toContain('id="notes"');
    const note =
      "no macro F1, confusion matrix, per-phase scores or latencies: no stage scores the predictions this fit draws (knn.predictions)";
    const data: ReportData = { ...sampleReportData(), metrics: undefined, projection: undefined, notes: [note] };
    const html = renderReport(data);
    const card = `<section class="card notes" id="notes" aria-label="not in this report">\n<h2>Not in this report</h2>`;
    expect(html).toContain(`${card}\n<ul><li>${note}</li></ul>`);
    for (const id of ["confusion", "per-class", "projection"]) expect(html).not.toContain(`id="${id}"`);
    expect(html).not.toContain('class="card summary"');
    expect(html).toContain('id="scatter"');
    const parsed = embeddedJson(html);
    expect(parsed.metrics).toBeNull();
    expect(parsed.notes).toEqual([note]);
    expect(parsed.phaseNames["3"]).toBe("infected_running"); // the default names, without per-class rows
  });
});

describe("embedJson", () => {
  it("leaves no < and no line separators in the text, and parses back", () => {
    const value = { s: "a</script>b<!--c\u2028d\u2029e" };
    const text = embedJson(value);
    expect(text).not.toMatch(/[<\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe("roundTo", () => {
  it("rounds, folds -0 and maps non-finite values to null", () => {
    expect(roundTo(0.123456, 4)).toBe(0.1235);
    expect(Object.is(roundTo(-0.00001, 4), 0)).toBe(true);
    expect(roundTo(Number.NaN, 4)).toBeNull();
    expect(roundTo(Number.POSITIVE_INFINITY, 4)).toBeNull();
  });
});
