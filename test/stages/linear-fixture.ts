import { matrix, type Matrix } from "../../src/core/artifact.ts";
import { createRng } from "../../src/core/rng.ts";

export interface Blobs {
  features: Matrix;
  phase: Int8Array;
}

/**
 * `rows` points in `cols` dimensions around one centre per class (roughly Gaussian noise:
 * a sum of four uniforms), seeded, for the project and cluster stage tests.
 */
export function blobs(rows: number, cols: number, classes: number, seed = 5): Blobs {
  const rng = createRng(seed);
  const centres = Float64Array.from({ length: classes * cols }, () => (rng.next() - 0.5) * 8);
  const data = new Float32Array(rows * cols);
  const phase = new Int8Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = r % classes;
    phase[r] = c;
    for (let j = 0; j < cols; j++) {
      const noise = rng.next() + rng.next() + rng.next() + rng.next() - 2;
      data[r * cols + j] = centres[c * cols + j]! + noise;
    }
  }
  return { features: matrix(rows, cols, data), phase };
}

export function sameBytes(a: Float32Array | Int32Array, b: Float32Array | Int32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
