import { describe, expect, it } from "vitest";
import { matrix } from "../../../src/core/artifact.ts";
import { selectReportPoints, type ReportPointColumns } from "../../../src/report/data.ts";
import { sampleColumns } from "./sample-report.ts";

/** Columns whose cluster value is the row index, so a selected point says where it came from. */
function indexedColumns(rows: number): ReportPointColumns {
  const columns = sampleColumns(rows);
  return { ...columns, cluster: Int32Array.from({ length: rows }, (_, i) => i) };
}

describe("selectReportPoints", () => {
  it("gives identical points for the same columns, cap and seed", () => {
    const columns = indexedColumns(3000);
    const a = selectReportPoints(columns, 500, 9);
    const b = selectReportPoints(columns, 500, 9);
    expect(b).toEqual(a);
    expect(a.x.length).toBe(500);
  });

  it("picks another subset for another seed", () => {
    const columns = indexedColumns(3000);
    const a = selectReportPoints(columns, 500, 9);
    const b = selectReportPoints(columns, 500, 10);
    expect(Array.from(b.cluster)).not.toEqual(Array.from(a.cluster));
  });

  it("keeps at most maxPoints distinct rows, in file order, with every column from the same row", () => {
    const columns = indexedColumns(2000);
    const picked = selectReportPoints(columns, 700, 3);
    expect(picked.x.length).toBe(700);
    for (const key of ["y", "z", "phase", "predicted", "cluster", "isTrain"] as const) {
      expect(picked[key].length).toBe(700);
    }
    for (let i = 0; i < picked.cluster.length; i++) {
      const row = picked.cluster[i]!;
      if (i > 0) expect(row).toBeGreaterThan(picked.cluster[i - 1]!);
      expect(picked.x[i]).toBe(columns.xyz.data[row * 3]);
      expect(picked.y[i]).toBe(columns.xyz.data[row * 3 + 1]);
      expect(picked.z[i]).toBe(columns.xyz.data[row * 3 + 2]);
      expect(picked.phase[i]).toBe(columns.phase[row]);
      expect(picked.predicted[i]).toBe(columns.predicted[row]);
      expect(picked.isTrain[i]).toBe(columns.isTrain[row]);
      expect(picked.episodeNames[picked.episode[i]!]).toBe(columns.episode[row]);
    }
  });

  it("embeds each selected episode name once, in first-seen order", () => {
    const columns = { ...indexedColumns(6), episode: ["b", "b", "a", "c", "a", "b"] };
    const picked = selectReportPoints(columns, 10, 1);
    expect(picked.episodeNames).toEqual(["b", "a", "c"]);
    expect(Array.from(picked.episode)).toEqual([0, 0, 1, 2, 1, 0]);
  });

  it("returns every row when there are fewer than maxPoints", () => {
    const columns = indexedColumns(120);
    const picked = selectReportPoints(columns, 5000, 1);
    expect(Array.from(picked.cluster)).toEqual(Array.from({ length: 120 }, (_, i) => i));
  });

  it("rejects columns of different lengths and a bad cap", () => {
    const columns = indexedColumns(50);
    expect(() => selectReportPoints({ ...columns, phase: new Int8Array(49) }, 10, 1)).toThrow(/phase has 49 rows, xyz has 50/);
    expect(() => selectReportPoints({ ...columns, episode: columns.episode.slice(1) }, 10, 1)).toThrow(/episode has 49 rows/);
    expect(() => selectReportPoints({ ...columns, xyz: matrix(25, 2) }, 10, 1)).toThrow(/3 columns/);
    expect(() => selectReportPoints(columns, -1, 1)).toThrow(RangeError);
  });
});
