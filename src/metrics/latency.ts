import type { Matrix } from "../core/artifact.ts";
import { createKnnIndex } from "../knn/index.ts";

export interface LatencyRequest {
  readonly features: Matrix;
  /** the reference rows (evaluate: every train row) */
  readonly reference: Int32Array;
  /** rows whose vectors are used as queries, cycled through */
  readonly queryRows: Int32Array;
  readonly k: number;
  readonly threads: number;
  /** a monotonic clock in ms (the stage context's now) */
  now(): number;
  readonly singleRepeats?: number;
  readonly batchRepeats?: number;
}

export type LatencyMeasurement = {
  /** median wall time of one search with a single window */
  readonly single_window_ms: number;
  /** median wall time of one search of 64 windows, divided by 64 */
  readonly batch64_per_window_ms: number;
  readonly train_rows: number;
};

export const LATENCY_BATCH = 64;

/**
 * Measures inference latency as the seed's author did by hand: an index over the reference
 * rows, one warm-up search, then the median of several single-window searches and of several
 * 64-window searches. The result is a measurement, so it differs from run to run.
 */
export async function measureLatency(request: LatencyRequest): Promise<LatencyMeasurement> {
  const { features, k } = request;
  if (request.queryRows.length === 0) throw new RangeError("measureLatency needs at least one query row");
  const index = await createKnnIndex(features.data, features.cols, request.reference, { threads: request.threads });
  try {
    const pick = _queryPicker(request);
    await index.search(pick(LATENCY_BATCH), k);
    const single = await _timeRepeats(request.singleRepeats ?? 9, request.now, () => index.search(pick(1), k));
    const batch = await _timeRepeats(request.batchRepeats ?? 5, request.now, () => index.search(pick(LATENCY_BATCH), k));
    return {
      single_window_ms: median(single),
      batch64_per_window_ms: median(batch) / LATENCY_BATCH,
      train_rows: request.reference.length,
    };
  } finally {
    await index.close();
  }
}

/** The middle value (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function _timeRepeats(repeats: number, now: () => number, work: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = now();
    await work();
    times.push(now() - start);
  }
  return times;
}

/** Returns a function giving the next `count` query vectors, cycling through queryRows. */
function _queryPicker(request: LatencyRequest): (count: number) => Float32Array {
  const { features, queryRows } = request;
  const dims = features.cols;
  let next = 0;
  return (count) => {
    const out = new Float32Array(count * dims);
    for (let i = 0; i < count; i++) {
      const row = queryRows[next++ % queryRows.length]!;
      out.set(features.data.subarray(row * dims, row * dims + dims), i * dims);
    }
    return out;
  };
}
