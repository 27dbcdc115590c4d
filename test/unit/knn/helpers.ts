import { createRng } from "../../../src/core/rng.ts";

/** A seeded Gaussian matrix, rows x dims, float32. */
export function gaussianMatrix(rows: number, dims: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(rows * dims);
  for (let i = 0; i < out.length; i += 2) {
    const u = Math.max(rng.next(), 1e-12);
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * rng.next();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

export function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

export function gather(data: Float32Array, dims: number, ids: Int32Array): Float32Array {
  const out = new Float32Array(ids.length * dims);
  ids.forEach((row, i) => out.set(data.subarray(row * dims, (row + 1) * dims), i * dims));
  return out;
}
