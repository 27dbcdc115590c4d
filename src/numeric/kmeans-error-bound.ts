/**
 * How far the kernel's float32 distance d̃ can be from `squaredDistance`'s float64 value d for
 * the same point and centre, so that the float32 argmin can be trusted whenever it is clear:
 *
 *   kernel     every term (x - ĉ)² is ≥ 0 and carries at most 3 roundings of its own (the
 *              difference, which the square doubles, and the product), ⌈cols/4⌉ lane adds and 2
 *              adds across lanes, so |d̃ - D̂| ≤ γ(⌈cols/4⌉ + 5)·D̂ + η, with D̂ = ‖x - ĉ‖² exactly,
 *              γ(m) = m·u / (1 - m·u), u = 2⁻²⁴ (Higham, Accuracy and Stability, §3.1, §4.2)
 *              and η an absolute allowance for float32 underflow
 *   centre     ĉ is the float64 centre c rounded to float32: |‖x - c‖ - ‖x - ĉ‖| ≤ ρ = ‖c - ĉ‖
 *   reference  d sums cols float64 terms in order: |d - D| ≤ γ₆₄(cols + 2)·D, D = ‖x - c‖²
 *
 * so √d ∈ [low·√(d̃ - η) - ρ, high·√(d̃ + η) + ρ]. The factors and ρ are widened by a further
 * 1e-12 relative for the float64 arithmetic that evaluates the bounds. An overflowed d̃ (∞) only
 * says D̂ is past about the largest float32, so lower() reads it as that largest float32 (a finite
 * d̃ near it can then still lose to it); upper(∞) is ∞ and a NaN fails every comparison, so
 * callers fall back to the float64 distance.
 */
export interface DistanceBounds {
  /** ρ of each centre */
  readonly radii: Float64Array;
  /** the largest ρ, to bound every centre at once */
  readonly widest: number;
  /** √d ≥ lower(d̃, ρ) */
  lower(kernelDistance: number, radius: number): number;
  /** √d ≤ upper(d̃, ρ) */
  upper(kernelDistance: number, radius: number): number;
}

const U32 = 2 ** -24;
const U64 = 2 ** -53;
const SLACK = 1e-12;
/** far above cols · 2⁻¹⁴⁹, the most float32 underflow can lose */
const UNDERFLOW = 1e-30;
const FLOAT32_MAX = 3.4028234663852886e38;

/** Bounds for the float64 k × cols `centres` as the kernel sees them (rounded to float32). */
export function distanceBounds(centres: Float64Array, k: number, cols: number): DistanceBounds {
  const g32 = gamma(Math.ceil(cols / 4) + 5, U32);
  const g64 = gamma(cols + 2, U64);
  const low = Math.sqrt((1 - g64) / (1 + g32)) * (1 - SLACK);
  const high = Math.sqrt((1 + g64) / (1 - g32)) * (1 + SLACK);
  const radii = roundingRadii(centres, k, cols);
  return {
    radii,
    widest: radii.reduce((a, b) => Math.max(a, b), 0),
    lower: (d, radius) => low * Math.sqrt(Math.max(Math.min(d, FLOAT32_MAX) - UNDERFLOW, 0)) - radius,
    upper: (d, radius) => high * Math.sqrt(d + UNDERFLOW) + radius,
  };
}

function gamma(m: number, u: number): number {
  return (m * u) / (1 - m * u);
}

function roundingRadii(centres: Float64Array, k: number, cols: number): Float64Array {
  const radii = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < cols; j++) {
      const value = centres[c * cols + j]!;
      const e = value - Math.fround(value);
      s += e * e;
    }
    radii[c] = Math.sqrt(s) * (1 + SLACK);
  }
  return radii;
}
