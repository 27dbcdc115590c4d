import type { Matrix } from "../core/artifact.ts";
import { CancelledError } from "../core/errors.ts";
import { createRng } from "../core/rng.ts";
import { type KnnIndex, type KnnResult, createKnnIndex } from "../knn/index.ts";
import { findABParams } from "umap-js/dist/umap.js";
import { fitLayout, yieldToEvents } from "./fit.ts";
import type { NeighbourLists } from "./fuzzy.ts";
import { fitPositionLists, fitPositions, selfFirstLists } from "./neighbours.ts";
import { placePoints, transformEpochs } from "./transform.ts";

export interface UmapOptions {
  seed: number;
  nNeighbors: number;
  minDist: number;
  targetWeight: number;
  threads: number;
  signal: AbortSignal;
  progress(fraction: number, detail?: string): void;
}

export interface UmapProjection {
  /** n x 3 raw (not rescaled) coordinates for every row of `features` */
  coords: Float32Array;
  /** diagnostics recorded in project's info output */
  info: Record<string, number | string>;
}

/** Rows per kNN search call and per placement batch: one progress step each. */
const BATCH_ROWS = 8192;
/** Placement batches searched ahead of the one being placed. */
const LOOKAHEAD = 2;
const LEARNING_RATE = 1;
const SPREAD = 1;

/**
 * Supervised UMAP to 3-D: fitted on the rows in `fitRows`, every other row placed by transform.
 * The neighbour graph is the exact kNN (our kernel), not umap-js's NN-descent; the fit is
 * umap-js's algorithm on typed arrays (see fit.ts) and placement is umap-learn's transform
 * (see transform.ts). Same seed → same bytes, whatever `threads` is.
 */
export async function projectUmap(features: Matrix, labels: Int8Array, fitRows: Int32Array, options: UmapOptions): Promise<UmapProjection> {
  checkShapes(features, labels, fitRows);
  const positions = fitPositions(features.rows, fitRows);
  const outside = rowsOutside(positions);
  const k = Math.min(options.nNeighbors, fitRows.length);
  const report = progressWeights(fitRows.length, outside.length, options.progress);
  const index = await createKnnIndex(features.data, features.cols, fitRows, { threads: options.threads });
  const batches = Array.from({ length: Math.ceil(outside.length / BATCH_ROWS) }, (_, b) =>
    outside.subarray(b * BATCH_ROWS, (b + 1) * BATCH_ROWS),
  );
  // The placement searches need only the fit set, so the index's workers run them while this
  // thread lays out the fit and places earlier batches. A bounded lookahead caps the memory.
  const pending = new Map<number, Promise<KnnResult>>();
  const prefetch = (b: number) => {
    if (b >= batches.length || pending.has(b)) return;
    const search = index.search(gatherRows(features, batches[b]!), k);
    search.catch(() => {}); // a failure surfaces where the batch is awaited, not as an unhandled rejection
    pending.set(b, search);
  };
  try {
    const fitKnn = await searchFitRows(index, features, fitRows, k, positions, options.signal, report.fitKnn);
    for (let b = 0; b < LOOKAHEAD; b++) prefetch(b);
    const curve = findABParams(SPREAD, options.minDist);
    const fit = await fitLayout(fitKnn, {
      labels: Int8Array.from(fitRows, (row) => labels[row]!),
      targetWeight: options.targetWeight,
      curve,
      learningRate: LEARNING_RATE,
      rng: createRng(options.seed).fork("umap-fit"),
      signal: options.signal,
      onEpoch: (done, total) => report.layout(done / total, `umap fit epoch ${done}/${total}`),
    });
    const coords = new Float32Array(features.rows * 3);
    fitRows.forEach((row, i) => coords.set(fit.embedding.subarray(i * 3, i * 3 + 3), row * 3));
    const placeEpochs = transformEpochs(outside.length);
    const placer = { embedding: fit.embedding, curve, learningRate: LEARNING_RATE };
    const rowRng = createRng(options.seed);
    for (let b = 0, start = 0; b < batches.length; b++, start += BATCH_ROWS) {
      const rows = batches[b]!;
      await yieldToEvents();
      if (options.signal.aborted) throw new CancelledError("umap transform");
      prefetch(b + LOOKAHEAD);
      const result = await pending.get(b)!;
      pending.delete(b);
      const placed = new Float64Array(rows.length * 3);
      placePoints(fitPositionLists(result, k, positions), placer, placeEpochs, (q) => rowRng.fork(`umap-place:${rows[q]}`), placed);
      rows.forEach((row, q) => coords.set(placed.subarray(q * 3, q * 3 + 3), row * 3));
      report.transform((start + rows.length) / outside.length, `umap transform ${start + rows.length}/${outside.length}`);
    }
    const info = {
      knn: "exact",
      n_neighbors: k,
      min_dist: options.minDist,
      target_weight: options.targetWeight,
      curve_a: curve.a,
      curve_b: curve.b,
      fit_epochs: fit.epochs,
      fit_edges: fit.edges,
      transform_epochs: outside.length > 0 ? placeEpochs : 0,
      transformed_rows: outside.length,
    };
    return { coords, info };
  } finally {
    // settle searches still queued (after a cancel) before the workers go away
    await Promise.allSettled(pending.values());
    await index.close();
  }
}

function checkShapes(features: Matrix, labels: Int8Array, fitRows: Int32Array): void {
  if (labels.length !== features.rows) throw new RangeError(`umap: ${labels.length} labels for ${features.rows} feature rows`);
  if (fitRows.length === 0) throw new RangeError("umap: the fit sample is empty");
  for (const row of fitRows)
    if (row < 0 || row >= features.rows) throw new RangeError(`umap: fit row ${row} is outside 0..${features.rows - 1}`);
}

function rowsOutside(positions: Int32Array): Int32Array {
  const rows: number[] = [];
  positions.forEach((at, row) => {
    if (at < 0) rows.push(row);
  });
  return Int32Array.from(rows);
}

function gatherRows(features: Matrix, rows: Int32Array): Float32Array {
  const { cols, data } = features;
  const out = new Float32Array(rows.length * cols);
  rows.forEach((row, i) => out.set(data.subarray(row * cols, row * cols + cols), i * cols));
  return out;
}

/** Exact kNN of the fit rows among themselves, in batches, each point first in its own list. */
async function searchFitRows(
  index: KnnIndex,
  features: Matrix,
  fitRows: Int32Array,
  k: number,
  positions: Int32Array,
  signal: AbortSignal,
  report: (f: number, detail: string) => void,
): Promise<NeighbourLists> {
  const indices = new Int32Array(fitRows.length * k);
  const distances = new Float64Array(fitRows.length * k);
  for (let start = 0; start < fitRows.length; start += BATCH_ROWS) {
    await yieldToEvents();
    if (signal.aborted) throw new CancelledError("umap neighbour search");
    const rows = fitRows.subarray(start, start + BATCH_ROWS);
    const lists = selfFirstLists(await index.search(gatherRows(features, rows), k), start, k, positions);
    indices.set(lists.indices, start * k);
    distances.set(lists.distances, start * k);
    report((start + rows.length) / fitRows.length, `umap neighbours ${start + rows.length}/${fitRows.length}`);
  }
  return { count: fitRows.length, k, indices, distances };
}

/**
 * Splits [0, 1] between the three phases by rough cost: kNN work is queries × fit rows, the
 * fit's epochs cost about as much as half the fit-row searches.
 */
function progressWeights(fitCount: number, outsideCount: number, progress: UmapOptions["progress"]) {
  const total = fitCount * 1.5 + outsideCount;
  const phase = (from: number, width: number) => (f: number, detail: string) => progress((from + f * width) / total, detail);
  return {
    fitKnn: phase(0, fitCount),
    layout: phase(fitCount, fitCount * 0.5),
    transform: phase(fitCount * 1.5, outsideCount),
  };
}
