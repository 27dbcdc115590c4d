import { matrix } from "../../../src/core/artifact.ts";
import { createRng } from "../../../src/core/rng.ts";
import {
  selectReportPoints,
  type ReportClassMetrics,
  type ReportData,
  type ReportMetrics,
  type ReportPointColumns,
} from "../../../src/report/data.ts";
import { DEFAULT_PHASE_NAMES } from "../../../src/report/payload.ts";
import { buildRunsView, type RunsView } from "../../../src/report/runs.ts";
import type { RunLog } from "../../../src/engine/run-log.ts";
import { buildExpTable } from "../../../src/exp/table.ts";
import { runLog } from "../exp/fixtures.ts";

const K = 8;

/**
 * Generated full-length columns: each phase is a blob in the unit cube, about 80% of test
 * predictions are right, and clusters are the nearest of K fixed centres.
 */
export function sampleColumns(rows: number, seed = 7): ReportPointColumns {
  const rng = createRng(seed);
  const phaseCentres = DEFAULT_PHASE_NAMES.map(() => [0.1 + 0.8 * rng.next(), 0.1 + 0.8 * rng.next(), 0.1 + 0.8 * rng.next()]);
  const clusterCentres = Array.from({ length: K }, () => [rng.next(), rng.next(), rng.next()]);
  const xyz = matrix(rows, 3);
  const phase = new Int8Array(rows);
  const predicted = new Int8Array(rows);
  const cluster = new Int32Array(rows);
  const isTrain = new Uint8Array(rows);
  const episode: string[] = [];
  for (let r = 0; r < rows; r++) {
    const code = rng.int(DEFAULT_PHASE_NAMES.length);
    phase[r] = code;
    isTrain[r] = rng.next() < 0.6 ? 1 : 0;
    predicted[r] = isTrain[r] || rng.next() < 0.8 ? code : rng.int(DEFAULT_PHASE_NAMES.length);
    for (let c = 0; c < 3; c++) {
      const jitter = (rng.next() + rng.next() + rng.next() - 1.5) * 0.2;
      xyz.data[r * 3 + c] = Math.min(1, Math.max(0, phaseCentres[code]![c]! + jitter));
    }
    cluster[r] = nearestCentre(xyz.data.subarray(r * 3, r * 3 + 3), clusterCentres);
    episode.push(`ep-${String(Math.floor(r / 25)).padStart(4, "0")}`); // runs of 25 windows, as episodes are
  }
  return { xyz, phase, predicted, cluster, isTrain, episode };
}

function nearestCentre(point: Float32Array, centres: number[][]): number {
  let best = 0;
  let bestDistance = Infinity;
  centres.forEach((centre, i) => {
    const d = (point[0]! - centre[0]!) ** 2 + (point[1]! - centre[1]!) ** 2 + (point[2]! - centre[2]!) ** 2;
    if (d < bestDistance) [best, bestDistance] = [i, d];
  });
  return best;
}

/** A complete ReportData whose metrics are computed from the generated test rows. */
export function sampleReportData(rows = 1500, maxPoints = 1000): ReportData & { metrics: ReportMetrics } {
  const columns = sampleColumns(rows);
  const names = [...DEFAULT_PHASE_NAMES];
  const confusion = names.map(() => names.map(() => 0));
  let nTest = 0;
  for (let r = 0; r < rows; r++) {
    if (columns.isTrain[r]) continue;
    confusion[columns.phase[r]!]![columns.predicted[r]!]! += 1;
    nTest += 1;
  }
  const perClass = names.map((phase, code) => classMetrics(confusion, phase, code));
  return {
    title: "pipeline report — demo fit",
    generatedFrom: "demo-project",
    points: selectReportPoints(columns, maxPoints, 11),
    metrics: {
      macro_f1: perClass.reduce((sum, c) => sum + c.f1, 0) / perClass.length,
      per_class: perClass,
      confusion: { labels: names, matrix: confusion },
      latency: { single_window_ms: 0.8312345, batch64_per_window_ms: 0.0412345, train_rows: rows - nTest },
      n_train: rows - nTest,
      n_test: nTest,
      split: "host",
      k: 10,
    },
    projection: { method: "lda", fit_rows: rows, explained_ratio: [0.612345678, 0.2512345, 0.0812345], n_components: 3 },
    notes: [],
    stages: [
      { name: "load", status: "cached", ms: 0.41, key: "a1b2c3d4e5f60718293a4b5c6d7e8f90" },
      { name: "standardize", status: "cached", ms: 0.2, key: "b1b2c3d4e5f60718293a4b5c6d7e8f90" },
      { name: "project", status: "ran", ms: 1834.5, key: "c1b2c3d4e5f60718293a4b5c6d7e8f90" },
      { name: "cluster", status: "ran", ms: 912.25, key: "d1b2c3d4e5f60718293a4b5c6d7e8f90" },
      { name: "classify", status: "ran", ms: 2412.75, key: "e1b2c3d4e5f60718293a4b5c6d7e8f90" },
      { name: "evaluate", status: "ran", ms: 120.5, key: "f1b2c3d4e5f60718293a4b5c6d7e8f90" },
    ],
    params: {
      load: { max_rows: null },
      project: { method: "lda", sample_for_fit: 50000 },
      cluster: { k: K, sample_for_fit: 100000, batch_size: 2048, n_init: 4, max_iter: 200 },
      classify: { split: "host", train_hosts: ["elliott-thinkpad", "lab-node-01", "lab-node-02"], k: 10, val_fraction: 0.2 },
    },
    seed: 42,
    drawn: "pipeline.yaml",
    runId: SAMPLE_RUNS.find((l) => l.config === "yaml")!.id,
    runs: sampleRunsView(),
  };
}

/** A 3 x 2 sweep over cluster.k and project.method, newest first; each run has its own macro F1 and inertia. */
export const SAMPLE_RUNS: readonly RunLog[] = [5, 8, 12].flatMap((k, i) =>
  ["pca", "lda"].map((method, j) =>
    runLog(10 + i * 2 + j, {
      k,
      method,
      name: "grid",
      config: k === 8 && method === "lda" ? "yaml" : "override",
      f1: 0.6 + 0.02 * k + (method === "lda" ? 0.05 : 0),
      inertia: 3e7 / k + j * 1e5,
    }),
  ),
);

export function sampleRunsView(logs: readonly RunLog[] = SAMPLE_RUNS): RunsView {
  return buildRunsView(buildExpTable(logs), { preferred: ["evaluate.macro_f1"], current: logs.find((l) => l.config === "yaml")?.id });
}

function classMetrics(confusion: number[][], phase: string, code: number): ReportClassMetrics {
  const hits = confusion[code]![code]!;
  const support = confusion[code]!.reduce((a, b) => a + b, 0);
  const predictedAs = confusion.reduce((sum, row) => sum + row[code]!, 0);
  const precision = predictedAs > 0 ? hits / predictedAs : 0;
  const recall = support > 0 ? hits / support : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { phase, code, precision, recall, f1, support };
}
