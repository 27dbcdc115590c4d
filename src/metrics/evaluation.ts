import { weightedVote } from "../knn/index.ts";
import type { TestNeighbours } from "../split/neighbours.ts";
import { classificationReport, type ClassificationReport } from "./classification.ts";
import type { LatencyMeasurement } from "./latency.ts";
import { PHASE_COUNT, phaseName } from "../core/phases.ts";

/** evaluate's metrics json (metrics_v1.json), field names as the dashboard and report read them. */
export type EvaluationMetrics = {
  split: string;
  k: number;
  n_train: number;
  n_test: number;
  macro_f1: number;
  per_class: { phase: string; code: number; precision: number; recall: number; f1: number; support: number }[];
  confusion: { labels: string[]; matrix: number[][] };
  latency: LatencyMeasurement;
};

/** The train-only KNN vote of every test window, and the test windows' true phases. */
export function voteTestWindows(neighbours: TestNeighbours, phase: Int8Array): { truth: Int8Array; predicted: Int8Array } {
  const predicted = weightedVote(neighbours.result, neighbours.k, phase, PHASE_COUNT);
  const truth = Int8Array.from(neighbours.testRows, (row) => phase[row]!);
  return { truth, predicted };
}

/** Assembles the metrics json from the scores, naming classes by phase. */
export function evaluationMetrics(parts: {
  split: string;
  k: number;
  nTrain: number;
  report: ClassificationReport;
  nTest: number;
  latency: LatencyMeasurement;
}): EvaluationMetrics {
  const { report } = parts;
  return {
    split: parts.split,
    k: parts.k,
    n_train: parts.nTrain,
    n_test: parts.nTest,
    macro_f1: report.macroF1,
    per_class: report.perClass.map((c) => ({
      phase: phaseName(c.label),
      code: c.label,
      precision: c.precision,
      recall: c.recall,
      f1: c.f1,
      support: c.support,
    })),
    confusion: { labels: report.labels.map(phaseName), matrix: report.confusion },
    latency: { ...parts.latency },
  };
}

/** Scores the test windows: the report over truth and the train-only vote. */
export function scoreTestWindows(neighbours: TestNeighbours, phase: Int8Array): ClassificationReport {
  const { truth, predicted } = voteTestWindows(neighbours, phase);
  return classificationReport(truth, predicted);
}
