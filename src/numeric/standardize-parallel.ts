import { CancelledError } from "../core/errors.ts";
import { COLUMN_BLOCK, splitByStd, standardize, zScorePlan, type ColumnStats, type StandardizeResult } from "./standardize.ts";
import { StandardizePool } from "./standardize-pool.ts";
import { createCounters, taskBounds, type SharedInput } from "./standardize-tasks.ts";

/**
 * Below this many values a helper's start (its boot also slows the caller's JIT on 2 cores)
 * and the copy into shared memory cost about what they save, so the work stays on the calling
 * thread. Measured on 2 cores, 230 columns, cold: 3.5M values break even, 9M save ~15%.
 */
export const PARALLEL_MIN_VALUES = 4_000_000;

/** Rows per z-score task: ~10 ms of work at 230 columns. */
const ZSCORE_ROWS = 8192;
/** Share of the work in the statistics phase (the rest is the z-scores), for progress only. */
const STATS_SHARE = 0.8;

export interface ParallelOptions {
  /** threads in all, the caller's included */
  readonly threads: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (fraction: number, detail: string) => void;
  /** below this many values one thread does it all (tests pass 0 to use threads on tiny inputs) */
  readonly minValues?: number;
  /** the caller only coordinates: tests use it to make the helper threads do every task */
  readonly helpersOnly?: boolean;
}

/**
 * `standardize` on `threads` threads: column statistics over disjoint column ranges, then
 * z-scores over disjoint row ranges. Every number is computed by the same code as on one
 * thread, so the result has the same bytes for any thread count. The result's `data` is
 * backed by a SharedArrayBuffer when more than one thread ran.
 */
export async function standardizeParallel(
  data: Float32Array,
  rows: number,
  cols: number,
  options: ParallelOptions,
): Promise<StandardizeResult> {
  const { signal, onProgress, helpersOnly } = options;
  const participants = Math.floor(options.threads);
  if (participants < 2 || rows * cols < (options.minValues ?? PARALLEL_MIN_VALUES)) {
    if (signal?.aborted) throw new CancelledError("standardize");
    return standardize(data, rows, cols);
  }
  const input = _sharedInput(data, rows, cols);
  const pool = StandardizePool.start(input, participants - 1);
  try {
    if (input.data !== data) input.data.set(data.subarray(0, rows * cols)); // while the helpers boot
    // whole gather blocks of columns, narrower only when there are few columns per thread
    const statsBounds = taskBounds(cols, Math.min(COLUMN_BLOCK, Math.ceil(cols / participants)));
    const statsPhase = { kind: "stats", bounds: statsBounds, counters: createCounters() } as const;
    await pool.run(statsPhase, { signal, helpersOnly, onProgress: (f) => onProgress?.(f * STATS_SHARE, "column statistics") });
    const stats: ColumnStats = { medians: input.stats.medians.slice(), means: input.stats.means.slice(), stds: input.stats.stds.slice() };
    const { kept, dropped } = splitByStd(stats.stds);
    const out = new Float32Array(new SharedArrayBuffer(rows * kept.length * Float32Array.BYTES_PER_ELEMENT));
    const zscores = {
      kind: "zscores",
      bounds: taskBounds(rows, ZSCORE_ROWS),
      counters: createCounters(),
      plan: zScorePlan(kept, stats),
      out,
    } as const;
    await pool.run(zscores, { signal, helpersOnly, onProgress: (f) => onProgress?.(STATS_SHARE + f * (1 - STATS_SHARE), "z-scores") });
    return { ...stats, data: out, kept, dropped };
  } finally {
    await pool.close();
  }
}

/** Shared memory for the work; `data` is used in place when it is shared already, else copied. */
function _sharedInput(data: Float32Array, rows: number, cols: number): SharedInput {
  const f64 = () => new Float64Array(new SharedArrayBuffer(cols * Float64Array.BYTES_PER_ELEMENT));
  return {
    data:
      data.buffer instanceof SharedArrayBuffer
        ? data
        : new Float32Array(new SharedArrayBuffer(rows * cols * Float32Array.BYTES_PER_ELEMENT)),
    rows,
    cols,
    stats: { medians: f64(), means: f64(), stds: f64() },
  };
}
