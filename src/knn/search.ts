import { CancelledError } from "../core/errors.ts";
import { emptyResult } from "./exact.ts";
import { QUERY_BLOCK } from "./layout.ts";
import { KnnPool } from "./pool.ts";
import type { KnnIndex, KnnResult, KnnSearchRequest } from "./types.ts";

/** Diagnostics of the last search in this thread (for benches): float64 fallbacks taken. */
export const lastSearchStats = { fallbacks: 0 };

/**
 * Exact top-k of every query row within each reference group, in one pass: each block of
 * QUERY_BLOCK queries is compared with every group while it sits in cache. Blocks go to
 * `threads` workers; results are assembled by block position, so the bytes never depend on
 * the thread count. Rejects with CancelledError when `signal` aborts.
 */
export async function knnSearchFast(req: KnnSearchRequest): Promise<KnnResult[]> {
  validateRequest(req);
  if (req.signal?.aborted) throw new CancelledError("knn search");
  const results = req.groups.map(() => emptyResult(req.queries.length, req.k));
  if (req.queries.length === 0 || req.groups.length === 0) return results;
  const pool = await KnnPool.start(req.data, req.dims, req.groups, req.threads);
  try {
    const tasks: { kind: "rows"; queries: Int32Array; k: number }[] = [];
    for (let start = 0; start < req.queries.length; start += QUERY_BLOCK) {
      tasks.push({ kind: "rows" as const, queries: req.queries.slice(start, start + QUERY_BLOCK), k: req.k });
    }
    let done = 0;
    await pool.run(tasks, (index, reply) => {
      results.forEach((result, g) => {
        result.indices.set(reply.indices[g]!, index * QUERY_BLOCK * req.k);
        result.distances.set(reply.distances[g]!, index * QUERY_BLOCK * req.k);
      });
      done += tasks[index]!.queries.length;
      req.onProgress?.(done / req.queries.length);
    }, req.signal);
    lastSearchStats.fallbacks = pool.fallbacks;
    return results;
  } finally {
    await pool.close();
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
 */
export async function createKnnIndexFast(data: Float32Array, dims: number, reference: Int32Array, options: { threads: number }): Promise<KnnIndex> {
  const pool = await KnnPool.start(data, dims, [reference], options.threads);
  let queue: Promise<unknown> = Promise.resolve();
  const search = async (queries: Float32Array, k: number): Promise<KnnResult> => {
    if (queries.length % dims !== 0) throw new RangeError(`knn: query length ${queries.length} is not a multiple of dims ${dims}`);
    if (!queries.every(Number.isFinite)) throw new RangeError("knn: a query vector holds a NaN or infinite value");
    const count = queries.length / dims;
    const result = emptyResult(count, k);
    const tasks: { kind: "vectors"; vectors: Float32Array; k: number }[] = [];
    for (let start = 0; start < count; start += QUERY_BLOCK) {
      tasks.push({ kind: "vectors" as const, vectors: queries.slice(start * dims, Math.min(count, start + QUERY_BLOCK) * dims), k });
    }
    await pool.run(tasks, (index, reply) => {
      result.indices.set(reply.indices[0]!, index * QUERY_BLOCK * k);
      result.distances.set(reply.distances[0]!, index * QUERY_BLOCK * k);
    });
    return result;
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
