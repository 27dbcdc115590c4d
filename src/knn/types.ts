/** Neighbours of q queries: q*k entries, row-major per query. */
export interface KnnResult {
  /** data row ids, -1 where a group had fewer than k rows */
  indices: Int32Array;
  /** Euclidean distances (not squared) recomputed in float64; Infinity with index -1 */
  distances: Float64Array;
}

/**
 * The approximate kernel that ranks candidates before the float64 re-check: "int16" (default)
 * multiplies per-row-scaled int16 codes, about twice the speed of "float32"; a shortlist it
 * cannot prove complete is redone in float32. The results are the same bytes either way.
 */
export type ShortlistKernel = "int16" | "float32";

/** One pass of exact kNN: top-k of every query within each reference group. */
export interface KnnSearchRequest {
  /** row-major matrix holding every row (references and queries) */
  data: Float32Array;
  dims: number;
  /** reference row ids, one array per group (e.g. [train, val]) */
  groups: readonly Int32Array[];
  /** row ids to find neighbours for */
  queries: Int32Array;
  k: number;
  threads: number;
  /**
   * Lower-bound pruning (prune-plan.ts): "auto" (default) fits the projection when the search is
   * big enough and keeps it when a sample of queries shows it wins; "always" prunes whenever it
   * can; "never" is the brute force. The results are the same bytes in every mode.
   */
  prune?: "auto" | "always" | "never";
  kernel?: ShortlistKernel;
  signal?: AbortSignal;
  onProgress?(fraction: number): void;
}

/** A reference set held by persistent workers, searched with outside query vectors. */
export interface KnnIndex {
  search(queries: Float32Array, k: number): Promise<KnnResult>;
  close(): Promise<void>;
}
