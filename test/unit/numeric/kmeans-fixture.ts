import type { Rng } from "../../../src/core/rng.ts";

/** Seeded random data for the k-means kernel and assignment tests. */

/** Roughly normal: a sum of four uniforms, centred. */
export function gaussian(rng: Rng): number {
  return rng.next() + rng.next() + rng.next() + rng.next() - 2;
}

export function randomPoints(rng: Rng, count: number, cols: number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: count * cols }, () => offset + scale * gaussian(rng));
}

/** Centres as the fit makes them: float64 means, mostly not representable in float32. */
export function meanCentres(rng: Rng, data: Float32Array, rows: number, cols: number, k: number): Float64Array {
  const centres = new Float64Array(k * cols);
  for (let c = 0; c < k; c++) {
    for (let t = 0; t < 3; t++) {
      const r = rng.int(rows);
      for (let j = 0; j < cols; j++) centres[c * cols + j]! += data[r * cols + j]! / 3;
    }
  }
  return centres;
}
