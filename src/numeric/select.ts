/**
 * In-place selection (quickselect with a median-of-three pivot and Hoare-style partitioning,
 * so runs of equal values split evenly instead of degrading to O(n²)). Deterministic: no
 * random pivots, so the same input always takes the same path.
 */

/** Rearranges `values[0..length)` so that index `k` holds the k-th smallest value; returns it. */
export function selectInPlace(values: Float32Array | Float64Array, length: number, k: number): number {
  if (k < 0 || k >= length) throw new RangeError(`select index ${k} outside [0, ${length})`);
  let lo = 0;
  let hi = length - 1;
  while (hi > lo + 1) {
    // median of three moved to lo+1; afterwards values[lo] <= pivot <= values[hi] are sentinels
    swap(values, (lo + hi) >>> 1, lo + 1);
    if (values[lo]! > values[hi]!) swap(values, lo, hi);
    if (values[lo + 1]! > values[hi]!) swap(values, lo + 1, hi);
    if (values[lo]! > values[lo + 1]!) swap(values, lo, lo + 1);
    const pivot = values[lo + 1]!;
    let i = lo + 1;
    let j = hi;
    for (;;) {
      do i++; while (values[i]! < pivot);
      do j--; while (values[j]! > pivot);
      if (j < i) break;
      swap(values, i, j);
    }
    values[lo + 1] = values[j]!;
    values[j] = pivot;
    if (j >= k) hi = j - 1;
    if (j <= k) lo = i;
  }
  if (hi === lo + 1 && values[hi]! < values[lo]!) swap(values, lo, hi);
  return values[k]!;
}

/**
 * Median of `values[0..length)` as numpy computes it: the middle value, or the mean of the two
 * middle values for an even count. Reorders the values. `length` must be > 0.
 */
export function medianInPlace(values: Float32Array | Float64Array, length: number): number {
  const upper = length >>> 1;
  const high = selectInPlace(values, length, upper);
  if (length % 2 === 1) return high;
  // after selection every value left of `upper` is <= high, so the lower middle is their max
  let low = -Infinity;
  for (let i = 0; i < upper; i++) if (values[i]! > low) low = values[i]!;
  return (low + high) / 2;
}

function swap(values: Float32Array | Float64Array, a: number, b: number): void {
  const t = values[a]!;
  values[a] = values[b]!;
  values[b] = t;
}
