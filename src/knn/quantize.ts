/**
 * int16 codes for the kernel's fast shortlist (dist_block_i16 in knn-kernel.wat). Each row x
 * gets its own scale s and codes A with x ≈ s·A; the dot product of two rows is then
 * s_q·s_x·(A_q·A_x), an exact integer sum in the kernel. What the codes lose is measured, not
 * guessed: errorNorm = |x - s·A| in float64, from which block-search.ts bounds every shortlist
 * value's error and proves the float64 re-check complete (or falls back to float32).
 */

/** Largest code magnitude: int16 without -32768, so negation never overflows. */
const MAX_CODE = 32767;
/**
 * |A_q|·|A_x| must stay below 2^31 so that no i32 lane of the kernel overflows: every partial
 * sum is at most Σ|a_j·b_j| <= |A_q|·|A_x| (Cauchy-Schwarz). Rounding adds at most 0.5 per
 * code to |x|/s, so the target norm leaves that room: (target + 0.5·sqrt(dims))^2 < 2^31.
 */
function targetCodeNorm(dims: number): number {
  return Math.floor(Math.sqrt(2 ** 31 - 1)) - Math.ceil(0.5 * Math.sqrt(dims)) - 1;
}

/** int16 codes padded to a multiple of 8 per row (one v128 holds 8 codes). */
export function paddedCodeLength(dims: number): number {
  return Math.ceil(dims / 8) * 8;
}

/** Where quantizeRow writes a row's scale and what the codes left out. */
export interface RowCodeStats {
  /** float32 scale s (stored as the kernel reads it) */
  scale: number;
  /** |x - s·A| in float64, rounded up */
  errorNorm: number;
}

/** x + 1.5·2^52 - 1.5·2^52 rounds a double to the nearest integer (ties to even) for |x| < 2^51, without Math.round's slow path. */
const ROUNDING_BIAS = 6755399441055744;

/**
 * Codes of `dims` float32 values at `values[offset..]` into `codes[codeOffset..]` (dpi wide,
 * zero-padded). s = max(|x|/target, max|x_j|/32767) rounded up, so |A| <= target + 0.5·sqrt(dims)
 * and |x_j/s| < 32767 keeps every code in int16. s is at least 2^-126, a normal float32 (a
 * subnormal one would round by up to half its value and break both bounds); rows that small
 * get small or zero codes, and their error norm says so.
 */
export function quantizeRow(
  values: Float32Array,
  offset: number,
  dims: number,
  codes: Int16Array,
  codeOffset: number,
  dpi: number,
  out: RowCodeStats,
): void {
  let sumSquares = 0;
  let maxAbs = 0;
  for (let j = 0; j < dims; j++) {
    const v = values[offset + j]!;
    sumSquares += v * v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const bound = Math.max(Math.sqrt(sumSquares) / targetCodeNorm(dims), maxAbs / MAX_CODE);
  // rounded up past float32 rounding and the inverse's error, so |v * inverse| < 32767
  const scale = Math.fround(Math.max(bound, 2 ** -126) * (1 + 2 ** -20));
  const inverse = 1 / scale;
  let errorSquares = 0;
  for (let j = 0; j < dims; j++) {
    const v = values[offset + j]!;
    const code = v * inverse + ROUNDING_BIAS - ROUNDING_BIAS;
    codes[codeOffset + j] = code;
    const error = v - scale * code; // scale * code is exact in float64 (24 + 16 bits)
    errorSquares += error * error;
  }
  codes.fill(0, codeOffset + dims, codeOffset + dpi);
  out.scale = scale;
  out.errorNorm = Math.sqrt(errorSquares) * (1 + 2 ** -30);
}

/**
 * Codes `count` rows of `values` (dims floats each) into `codes` (dpi each), with each row's
 * float32 scale and its error norm rounded up to float32 (the bound must never understate it).
 */
export function quantizeRows(
  values: Float32Array,
  dims: number,
  count: number,
  codes: Int16Array,
  dpi: number,
  scales: Float32Array,
  errorNorms: Float32Array,
): void {
  const stats: RowCodeStats = { scale: 0, errorNorm: 0 };
  for (let row = 0; row < count; row++) {
    quantizeRow(values, row * dims, dims, codes, row * dpi, dpi, stats);
    scales[row] = stats.scale;
    errorNorms[row] = roundUpToFloat32(stats.errorNorm);
  }
}

const oneFloat = new Float32Array(1);
const oneFloatBits = new Uint32Array(oneFloat.buffer);

/** The smallest float32 >= value (value >= 0), subnormals included: one bit step up when rounding went down. */
export function roundUpToFloat32(value: number): number {
  oneFloat[0] = value;
  if (oneFloat[0]! < value) oneFloatBits[0]!++;
  return oneFloat[0]!;
}
