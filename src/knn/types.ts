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

/** What one search did: how often its shortlists fell back, and whether and how well it pruned. The results never depend on it. */
export interface KnnSearchStats {
  /** queries x groups whose int16 shortlist could not be proven complete (finished by a limit pass) */
  codeFallbacks: number;
  /** queries x groups whose float32 shortlist could not be proven complete (finished by a limit pass) */
  fallbacks: number;
  /** "pruned" when the lower-bound prune ran past the sample blocks */
  mode: "brute" | "pruned";
  /** rank of the fitted projection, 0 when none was fitted */
  rank: number;
  /** float64 distances the pruned blocks computed, and the pairs they stood for */
  survivors: number;
  prunedPairs: number;
  /** survivors / pairs on the sample blocks, the number the keep-or-drop rule saw (NaN when none ran) */
  sampleSurvivorFraction: number;
}

/** A search's neighbours, one result per group (the request's order), and its statistics. */
export interface KnnSearchOutcome {
  results: KnnResult[];
  stats: KnnSearchStats;
}

/** A reference set held by persistent workers, searched with outside query vectors. */
export interface KnnIndex {
  search(queries: Float32Array, k: number): Promise<KnnResult>;
  close(): Promise<void>;
}
