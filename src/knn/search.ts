import { CancelledError, InputError } from "../core/errors.ts";
import { emptyResult } from "./exact.ts";
import { mergeNeighbours } from "./merge.ts";
import { NONFINITE_HINT, QUERY_BLOCK } from "./layout.ts";
import { KnnPool, type TaskBody } from "./pool.ts";
import { fitSample, projectForPruning } from "./prune-fit.ts";
import { keepPruning, pruneRank, queryBlocks, sampleTasks } from "./prune-plan.ts";
import type { PruneMode, WorkerReply } from "./protocol.ts";
import type { KnnIndex, KnnResult, KnnSearchOutcome, KnnSearchRequest, KnnSearchStats, ShortlistKernel } from "./types.ts";

/** auto mode fits pruning axes only when they hold at least this share of the variance */
const AUTO_MIN_EXPLAINED = 0.85;

const NO_COUNTS_STATS: Readonly<KnnSearchStats> = {
  codeFallbacks: 0,
  fallbacks: 0,
  mode: "brute",
  rank: 0,
  survivors: 0,
  prunedPairs: 0,
  sampleSurvivorFraction: NaN,
};

/**
 * Exact top-k of every query row within each reference group, in one pass: each block of
 * QUERY_BLOCK queries is compared with every group while it sits in cache. Blocks go to
 * `threads` workers; results are assembled by block position, so the bytes never depend on
 * the thread count. With a prune projection (prune-plan.ts), a few sample blocks run pruned
 * first and their survivor counts decide the mode of the rest; both modes are exact.
 * Rejects with CancelledError when `signal` aborts.
 */
export async function knnSearchFast(req: KnnSearchRequest): Promise<KnnSearchOutcome> {
  validateRequest(req);
  if (req.signal?.aborted) throw new CancelledError("knn search");
  const results = req.groups.map(() => emptyResult(req.queries.length, req.k));
  const stats: KnnSearchStats = { ...NO_COUNTS_STATS };
  if (req.queries.length === 0 || req.groups.length === 0) return { results, stats };
  const kernel = req.kernel ?? "int16";
  const groupLengths = req.groups.map((g) => g.length);
  const fittedRank = pruneRank({ dims: req.dims, k: req.k, queries: req.queries.length, groupLengths, mode: req.prune ?? "auto", kernel });
  // auto: skip the projection when its axes would leave over 15% of the variance outside the
  // bound (the demo data keeps 47% in 31 axes; the sample pass then finds ~60% survivors anyway)
  const minExplained = req.prune === "always" ? 0 : AUTO_MIN_EXPLAINED;
  const projection = fittedRank > 0 ? projectForPruning(req.data, req.dims, fitSample(req.groups), fittedRank, minExplained) : undefined;
  const rank = projection ? fittedRank : 0;
  const pool = await KnnPool.start(req.data, req.dims, req.groups, req.threads, kernel, projection);
  try {
    const blocks = queryBlocks(req.queries);
    let done = 0;
    const onReply = (index: number, reply: WorkerReply): void => {
      results.forEach((result, g) => {
        result.indices.set(reply.indices[g]!, index * QUERY_BLOCK * req.k);
        result.distances.set(reply.distances[g]!, index * QUERY_BLOCK * req.k);
      });
      done += blocks[index]!.length;
      req.onProgress?.(done / req.queries.length);
    };
    const tasksOf = (indices: readonly number[], prune: PruneMode): TaskBody[] =>
      indices.map((i) => ({ kind: "rows" as const, queries: blocks[i]!, k: req.k, prune }));
    let prune = false;
    if (rank > 0 && req.prune !== "always") {
      // the sample only counts survivors (bound pass, no float64 distances), so a bound that
      // turns out weak costs little; its blocks are searched again with the rest
      const sample = await pool.run(tasksOf(sampleTasks(blocks.length), "count"), () => undefined, req.signal);
      stats.sampleSurvivorFraction = sample.pairs > 0 ? sample.survivors / sample.pairs : NaN;
      prune = keepPruning(sample.survivors, sample.pairs, req.dims, rank, kernel);
    } else prune = rank > 0;
    const all = blocks.map((_, i) => i);
    const counts = await pool.run(tasksOf(all, prune ? "full" : "off"), (t, reply) => onReply(all[t]!, reply), req.signal);
    Object.assign(stats, { codeFallbacks: counts.codeFallbacks, fallbacks: counts.fallbacks, mode: prune ? "pruned" : "brute", rank });
    Object.assign(stats, { survivors: counts.survivors, prunedPairs: counts.pairs });
    return { results, stats };
  } finally {
    await pool.close();
  }
}

function validateRows(ids: Int32Array, rows: number): void {
  for (const row of ids) {
    if (!Number.isInteger(row) || row < 0 || row >= rows) throw new RangeError(`knn: reference row id ${row} is outside 0..${rows - 1}`);
  }
}

function validateRequest(req: KnnSearchRequest): void {
  const rows = req.data.length / req.dims;
  if (!Number.isInteger(req.dims) || req.dims < 1 || !Number.isInteger(rows)) {
    throw new RangeError(`knn: data length ${req.data.length} is not a multiple of dims ${req.dims}`);
  }
  if (!Number.isInteger(req.k) || req.k < 1) throw new RangeError(`knn: k must be a positive integer, got ${req.k}`);
  for (const row of req.queries) {
    if (row < 0 || row >= rows) throw new RangeError(`knn: query row id ${row} is outside 0..${rows - 1}`);
  }
}

/**
 * Persistent workers holding `reference` rows of `data`; search() takes outside vectors
 * (m x dims) and returns their exact top-k among the reference rows (row ids of `data`).
 * Calls are served one at a time, in call order.
 * Only the reference rows are copied to the workers' memory (evaluate's index holds 54k of
 * 150k rows), straight from `data` and in ascending row order, so ties still fall to the lower row id.
 */
export async function createKnnIndexFast(
  data: Float32Array,
  dims: number,
  reference: Int32Array,
  options: { threads: number; kernel?: ShortlistKernel },
): Promise<KnnIndex> {
  validateRows(reference, data.length / dims);
  const rows = Int32Array.from(reference).sort();
  const local = Int32Array.from(rows, (_, i) => i);
  const pool = await KnnPool.start(data, dims, [local], options.threads, options.kernel ?? "int16", undefined, rows);
  const toRowIds = (result: KnnResult): KnnResult => ({
    indices: result.indices.map((i) => (i < 0 ? i : rows[i]!)),
    distances: result.distances,
  });
  let queue: Promise<unknown> = Promise.resolve();
  const search = async (queries: Float32Array, k: number): Promise<KnnResult> => {
    if (queries.length % dims !== 0) throw new RangeError(`knn: query length ${queries.length} is not a multiple of dims ${dims}`);
    if (!queries.every(Number.isFinite)) throw new InputError("knn: a query vector holds a NaN or infinite value", NONFINITE_HINT);
    const count = queries.length / dims;
    if (count < options.threads && rows.length >= 2 * options.threads) return searchSliced(queries, k);
    const result = emptyResult(count, k);
    // a small batch is spread over every worker (64 queries on 2 threads: 2 blocks of 32), in
    // multiples of the kernel's 4-query register block; placement is by block, so results do
    // not depend on the thread count
    const block = Math.min(QUERY_BLOCK, Math.ceil(Math.ceil(count / options.threads) / 4) * 4);
    const tasks: { kind: "vectors"; vectors: Float32Array; k: number }[] = [];
    for (let start = 0; start < count; start += block) {
      tasks.push({ kind: "vectors" as const, vectors: queries.slice(start * dims, Math.min(count, start + block) * dims), k });
    }
    await pool.run(tasks, (index, reply) => {
      result.indices.set(reply.indices[0]!, index * block * k);
      result.distances.set(reply.distances[0]!, index * block * k);
    });
    return toRowIds(result);
  };
  /**
   * Fewer queries than workers (one window alone): every worker scans a slice of the reference
   * rows and the exact top-k lists are merged, (distance, row id) ordered as always, so the
   * answer is the same as one worker's full scan.
   */
  const searchSliced = async (queries: Float32Array, k: number): Promise<KnnResult> => {
    const step = Math.ceil(rows.length / options.threads / 2) * 2;
    const slices = Array.from({ length: options.threads }, (_, i) => [i * step, Math.min(rows.length, (i + 1) * step)] as const).filter(
      ([a, b]) => b > a,
    );
    const parts: KnnResult[] = [];
    await pool.run(
      slices.map((slice) => ({ kind: "vectors" as const, vectors: queries, k, slice })),
      (index, reply) => {
        parts[index] = { indices: reply.indices[0]!, distances: reply.distances[0]! };
      },
    );
    return toRowIds(parts.slice(1).reduce((merged, part) => mergeNeighbours(merged, part, k), parts[0]!));
  };
  return {
    search: (queries, k) => {
      const next = queue.then(() => search(queries, k));
      queue = next.catch(() => undefined);
      return next;
    },
    close: () => pool.close(),
  };
}
