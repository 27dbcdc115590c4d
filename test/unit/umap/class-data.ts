import type { Matrix } from "../../../src/core/artifact.ts";
import { createRng } from "../../../src/core/rng.ts";

/**
 * Six overlapping classes, each a mixture of two Gaussian blobs in `dims` dimensions, so that
 * neighbours in feature space share a label most of the time, but not always (like the demo
 * windows). Deterministic from `seed`.
 */
export function classData(rows: number, dims: number, seed: number, spread = 1.6): { features: Matrix; labels: Int8Array } {
  const rng = createRng(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const centres = Array.from({ length: 12 }, () => Float32Array.from({ length: dims }, () => gaussian() * spread));
  const data = new Float32Array(rows * dims);
  const labels = new Int8Array(rows);
  for (let r = 0; r < rows; r++) {
    const blob = rng.int(12);
    labels[r] = blob % 6;
    for (let d = 0; d < dims; d++) data[r * dims + d] = centres[blob]![d]! + gaussian();
  }
  return { features: { rows, cols: dims, data }, labels };
}
