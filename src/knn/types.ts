/** Neighbours of q queries: q*k entries, row-major per query. */
export interface KnnResult {
  /** data row ids, -1 where a group had fewer than k rows */
  indices: Int32Array;
  /** Euclidean distances (not squared) recomputed in float64; Infinity with index -1 */
  distances: Float64Array;
}

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
  signal?: AbortSignal;
  onProgress?(fraction: number): void;
}

/** A reference set held by persistent workers, searched with outside query vectors. */
export interface KnnIndex {
  search(queries: Float32Array, k: number): Promise<KnnResult>;
  close(): Promise<void>;
}
