/**
 * Exact k-nearest neighbours (Euclidean): the public API of the kNN engine.
 *
 *   knnSearch       queries (row ids) x groups of reference rows, worker threads + wasm SIMD
 *   knnSearchWithStats  the same, with what the search did (fallbacks, prune mode) beside the results
 *   createKnnIndex  persistent workers for repeated searches with outside vectors
 *   mergeNeighbours top-k of the union of two results
 *   weightedVote    scikit-learn's weights="distance" vote
 *   bruteForceKnn   the plain float64 brute force every fast result equals
 *
 * Ordering everywhere: distance ascending, then row id ascending; missing entries are
 * index -1 / distance Infinity. Distances are float64 recomputed from the float32 data.
 */
import { createKnnIndexFast, knnSearchFast } from "./search.ts";
import type { KnnIndex, KnnResult, KnnSearchOutcome, KnnSearchRequest, ShortlistKernel } from "./types.ts";

export type { KnnIndex, KnnResult, KnnSearchOutcome, KnnSearchRequest, KnnSearchStats, ShortlistKernel } from "./types.ts";
export { mergeNeighbours } from "./merge.ts";
export { weightedVote } from "./vote.ts";
export { bruteForceKnn } from "./exact.ts";

/** Top-k of every query row within each reference group, one result per group (same order). */
export async function knnSearch(req: KnnSearchRequest): Promise<KnnResult[]> {
  return (await knnSearchFast(req)).results;
}

/** knnSearch's results and statistics (for benches and tests; the results never depend on them). */
export function knnSearchWithStats(req: KnnSearchRequest): Promise<KnnSearchOutcome> {
  return knnSearchFast(req);
}

/** A persistent reference set for repeated searches with outside query vectors (m x dims). */
export function createKnnIndex(
  data: Float32Array,
  dims: number,
  reference: Int32Array,
  options: { threads: number; kernel?: ShortlistKernel },
): Promise<KnnIndex> {
  return createKnnIndexFast(data, dims, reference, options);
}
