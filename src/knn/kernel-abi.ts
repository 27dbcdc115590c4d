/**
 * The wasm kernels of knn-kernel.wat take 13 and 15 positional i32 byte offsets; this module is
 * the one place that knows their order. Callers describe a call with named records.
 */

/** Where the kernel's filter reads thresholds and lists its hits (see scanTile in block-search.ts). */
export interface KernelFilter {
  /** Float32 admission threshold per query slot */
  thresholds: number;
  /** Int32 hits: per quad of queries, the columns where one of its four values passed */
  hits: number;
  /** Int32 hit count per quad */
  hitCounts: number;
}

/** Float32 rows picked by id: byte offsets of the matrix, its squared norms and the id list. */
export interface Float32Rows {
  base: number;
  norms: number;
  ids: number;
  /** ids to read: a multiple of 4 for queries, of 2 for references */
  count: number;
}

/** One dist_block call: every (query, reference) value |q|^2 + |r|^2 - 2 q.r of a tile. */
export interface Float32TileCall {
  queries: Float32Rows;
  references: Float32Rows;
  /** row stride of both matrices in bytes (a multiple of 16) */
  rowBytes: number;
  /** Float32 values, queries x references */
  out: number;
  filter: KernelFilter;
}

/** One dist_block_i16 call over int16 codes (quantize.ts); it stores only the values it admits. */
export interface Int16TileCall {
  queries: {
    /** the block's codes as stageQuadCodes lays them out */
    quadCodes: number;
    scales: number;
    norms: number;
    ids: number;
    /** a multiple of 4 */
    count: number;
  };
  references: {
    /** byte addresses of each reference's code row, in the order of ids */
    codeRows: number;
    scales: number;
    norms: number;
    ids: number;
    /** a multiple of 2 */
    count: number;
  };
  /** code row length in bytes (a multiple of 16) */
  rowBytes: number;
  out: number;
  filter: KernelFilter;
}

export interface Kernels {
  float32(call: Float32TileCall): void;
  int16(call: Int16TileCall): void;
}

type Positional = (...offsets: number[]) => void;

/** Binds an instance's exports to the named calls, once per worker. */
export function bindKernels(exports: Record<string, unknown>): Kernels {
  const distBlock = exports["dist_block"] as Positional;
  const distBlockI16 = exports["dist_block_i16"] as Positional;
  return {
    float32: ({ queries: q, references: r, rowBytes, out, filter: f }) =>
      distBlock(q.base, q.norms, q.ids, q.count, r.base, r.norms, r.ids, r.count, rowBytes, out, f.thresholds, f.hits, f.hitCounts),
    int16: ({ queries: q, references: r, rowBytes, out, filter: f }) =>
      distBlockI16(
        q.quadCodes,
        q.scales,
        q.norms,
        q.ids,
        q.count,
        r.codeRows,
        r.scales,
        r.norms,
        r.ids,
        r.count,
        rowBytes,
        out,
        f.thresholds,
        f.hits,
        f.hitCounts,
      ),
  };
}
