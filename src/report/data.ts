import type { Matrix } from "../core/artifact.ts";
import { createRng } from "../core/rng.ts";
import type { RunsView } from "./runs.ts";

/** The points drawn in the report's 3-D scatter, one entry per row in every column. */
export interface ReportPoints {
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
  /** true phase code (0..5) */
  phase: Int8Array;
  /** predicted phase code; negative when the row has no prediction */
  predicted: Int8Array;
  cluster: Int32Array;
  /** 1 for training rows (drawn faint), 0 otherwise */
  isTrain: Uint8Array;
  /** index into episodeNames */
  episode: Int32Array;
  /** the episode ids of the selected points, in first-seen order */
  episodeNames: string[];
}

/** One class row of evaluate's metrics. */
export interface ReportClassMetrics {
  phase: string;
  code: number;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** evaluate's metrics json (metrics_v1.json). */
export interface ReportMetrics {
  macro_f1: number;
  per_class: ReportClassMetrics[];
  /** rows are true labels, columns predicted labels, both in `labels` order */
  confusion: { labels: string[]; matrix: number[][] };
  latency: { single_window_ms: number; batch64_per_window_ms: number; train_rows: number };
  n_train: number;
  n_test: number;
  split: string;
  k: number;
}

/** One stage of the last run: status is "ran", "cached", "failed", "skipped", ... */
export interface ReportStage {
  name: string;
  status: string;
  ms: number;
  key: string;
}

/** Everything the report shows; renderReport(data) turns it into one HTML document. */
export interface ReportData {
  title: string;
  /** where the fit comes from, e.g. the project folder name */
  generatedFrom: string;
  /** already subsampled, see selectReportPoints */
  points: ReportPoints;
  /** the evaluation of the drawn predictions (evaluate's metrics); undefined when no stage scores them */
  metrics: ReportMetrics | undefined;
  /** the projector's diagnostics (project's info json: method, explained ratios, fit_rows, ...), if it has any */
  projection: Record<string, unknown> | undefined;
  /** what the page leaves out (a section no stage of the pipeline feeds) or chose, and how to change it */
  notes: readonly string[];
  /** what the page draws, in words: "pipeline.yaml", "pipeline.yaml with --set cluster.k=5", "run <id>" */
  drawn: string;
  /** the run that made the drawn results, when one is recorded */
  runId: string | undefined;
  /** the stages of that run (or of the cache, without one), in run order */
  stages: ReportStage[];
  /** parsed params per stage name, of the drawn configuration or run */
  params: Record<string, Record<string, unknown>>;
  seed: number;
  /** every recorded run, for the runs section */
  runs: RunsView;
}

/** The full-length columns selectReportPoints picks from. */
export interface ReportPointColumns {
  /** project's xyz output, n × 3 */
  xyz: Matrix;
  phase: Int8Array;
  predicted: Int8Array;
  cluster: Int32Array;
  isTrain: Uint8Array;
  /** load's episode_id per row */
  episode: readonly string[];
}

/** Default cap on scatter points: enough to see structure, small enough for a phone. */
export const REPORT_MAX_POINTS = 5000;

/**
 * A seeded uniform subsample of at most `maxPoints` rows, kept in their original order, so
 * the same columns, cap and seed always give the same points.
 * Throws RangeError when the columns disagree in length (a wiring bug, not user input).
 */
export function selectReportPoints(columns: ReportPointColumns, maxPoints: number, seed: number): ReportPoints {
  const n = checkLengths(columns);
  if (!Number.isInteger(maxPoints) || maxPoints < 0) {
    throw new RangeError(`maxPoints must be a non-negative integer, got ${maxPoints}`);
  }
  const rows = createRng(seed).fork("report-points").sample(n, maxPoints);
  const { xyz } = columns;
  return {
    x: Float32Array.from(rows, (r) => xyz.data[r * 3]!),
    y: Float32Array.from(rows, (r) => xyz.data[r * 3 + 1]!),
    z: Float32Array.from(rows, (r) => xyz.data[r * 3 + 2]!),
    phase: Int8Array.from(rows, (r) => columns.phase[r]!),
    predicted: Int8Array.from(rows, (r) => columns.predicted[r]!),
    cluster: Int32Array.from(rows, (r) => columns.cluster[r]!),
    isTrain: Uint8Array.from(rows, (r) => columns.isTrain[r]!),
    ..._episodes(rows, columns.episode),
  };
}

/** The selected rows' episodes as indices into their distinct names, so each name is embedded once. */
function _episodes(rows: ArrayLike<number>, episodes: readonly string[]): Pick<ReportPoints, "episode" | "episodeNames"> {
  const index = new Map<string, number>();
  const episode = Int32Array.from(rows, (r) => {
    const name = episodes[r]!;
    let i = index.get(name);
    if (i === undefined) index.set(name, (i = index.size));
    return i;
  });
  return { episode, episodeNames: [...index.keys()] };
}

function checkLengths(columns: ReportPointColumns): number {
  const { xyz } = columns;
  if (xyz.cols !== 3) throw new RangeError(`xyz must have 3 columns, got ${xyz.cols}`);
  const n = xyz.rows;
  const lengths = {
    phase: columns.phase.length,
    predicted: columns.predicted.length,
    cluster: columns.cluster.length,
    isTrain: columns.isTrain.length,
    episode: columns.episode.length,
  };
  for (const [name, length] of Object.entries(lengths)) {
    if (length !== n) throw new RangeError(`report column ${name} has ${length} rows, xyz has ${n}`);
  }
  return n;
}
