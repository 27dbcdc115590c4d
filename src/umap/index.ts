import type { Matrix } from "../core/artifact.ts";

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

/**
 * Supervised UMAP to 3-D: fitted on the rows in `fitRows`, every other row placed by transform.
 * Being built in its own issue; until then choosing `project.method: umap` fails clearly.
 */
export async function projectUmap(
  _features: Matrix,
  _labels: Int8Array,
  _fitRows: Int32Array,
  _options: UmapOptions,
): Promise<UmapProjection> {
  throw new Error("project.method umap is not available in this build");
}
