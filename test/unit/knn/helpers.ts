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

/** Rows near a random `rank`-dimensional subspace: rank-r Gaussian signal + N(0, noise) per dim. */
export function lowRankMatrix(rows: number, dims: number, rank: number, noise: number, seed: number): Float32Array {
  const basis = gaussianMatrix(rank, dims, seed);
  const latent = gaussianMatrix(rows, rank, seed + 1);
  const jitter = gaussianMatrix(rows, dims, seed + 2);
  const out = new Float32Array(rows * dims);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < dims; j++) {
      let sum = 0;
      for (let r = 0; r < rank; r++) sum += latent[i * rank + r]! * basis[r * dims + j]!;
      out[i * dims + j] = sum + noise * jitter[i * dims + j]!;
    }
  }
  return out;
}
