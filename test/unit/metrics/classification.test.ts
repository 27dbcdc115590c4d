import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classificationReport, confusionMatrix, macroF1, presentLabels } from "../../../src/metrics/index.ts";

interface GoldenMetricCase {
  name: string;
  y_true: number[];
  y_pred: number[];
  labels: number[];
  macro_f1: number;
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  confusion: number[][];
  accuracy: number;
}

// made by scripts/golden/classify_golden.py with scikit-learn (version recorded in the file)
const golden = JSON.parse(readFileSync(new URL("../../fixtures/golden/classify/metrics.json", import.meta.url), "utf8")) as {
  cases: GoldenMetricCase[];
};
const TOLERANCE = 1e-9;

describe("classificationReport against sklearn's defaults", () => {
  it("has the edge cases the brief asks for", () => {
    const names = golden.cases.map((c) => c.name);
    expect(names).toContain("class only in prediction");
    expect(names).toContain("class never predicted");
  });

  it.each(golden.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const report = classificationReport(Int8Array.from(c.y_true), Int8Array.from(c.y_pred));
    expect(report.labels).toEqual(c.labels);
    expect(Math.abs(report.macroF1 - c.macro_f1)).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(macroF1(c.y_true, c.y_pred) - c.macro_f1)).toBeLessThanOrEqual(TOLERANCE);
    report.perClass.forEach((scores, i) => {
      expect(scores.label).toBe(c.labels[i]);
      expect(Math.abs(scores.precision - c.precision[i]!)).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(scores.recall - c.recall[i]!)).toBeLessThanOrEqual(TOLERANCE);
      expect(Math.abs(scores.f1 - c.f1[i]!)).toBeLessThanOrEqual(TOLERANCE);
      expect(scores.support).toBe(c.support[i]);
    });
    expect(report.confusion).toEqual(c.confusion);
    expect(Math.abs(report.accuracy - c.accuracy)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe("helpers", () => {
  it("takes the sorted union of labels", () => {
    expect(presentLabels([3, 1, 1], [0, 5, 3])).toEqual([0, 1, 3, 5]);
  });

  it("skips pairs outside the given labels, as confusion_matrix(labels=...) does", () => {
    expect(confusionMatrix([0, 1, 2, 2], [0, 2, 2, 1], [1, 2])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it("scores an empty input as zero and refuses vectors of different lengths", () => {
    expect(classificationReport([], [])).toMatchObject({ labels: [], macroF1: 0, accuracy: 0 });
    expect(() => classificationReport([1, 2], [1])).toThrow(RangeError);
  });
});
