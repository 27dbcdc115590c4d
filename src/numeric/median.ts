/**
 * Exact median of float32 values by radix selection on sort keys: each float maps to a uint32
 * key that orders like the float (see `floatSortKey`); a histogram of the top 11 bits finds the
 * bucket holding the wanted rank, the candidates in that bucket are compacted, and the next 11
 * and last 10 bits finish the job. That is about one linear pass, with no swaps and no
 * data-dependent pivots: faster than quickselect on 150k-row columns, and exact.
 */

const LEVELS = [
  { shift: 21, mask: 0x7ff },
  { shift: 10, mask: 0x7ff },
  { shift: 0, mask: 0x3ff },
] as const;

const histogram = new Uint32Array(2048);
const convert = new Float32Array(1);
const convertBits = new Uint32Array(convert.buffer);

/** The uint32 sort key of a float32 given by its bit pattern: keys compare as the floats do. */
export function floatSortKey(bits: number): number {
  // negative floats: flip all bits (reverses their order); positive: set the sign bit
  return bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

/** The float32 value whose sort key is `key`. */
export function floatFromSortKey(key: number): number {
  convertBits[0] = key & 0x80000000 ? key ^ 0x80000000 : ~key >>> 0;
  return convert[0]!;
}

/**
 * Median of the floats whose sort keys are `keys[0..length)`, as numpy computes it: the middle
 * value, or the mean of the two middle values for an even count. `keys` is left untouched;
 * `scratch` needs room for `length` keys. `length` must be > 0 (NaN has no place in the keys).
 */
export function medianOfSortKeys(keys: Uint32Array, length: number, scratch: Uint32Array): number {
  if (length <= 0) throw new RangeError("median of an empty set");
  const upper = length >>> 1;
  const highKey = selectKey(keys, length, upper, scratch);
  const high = floatFromSortKey(highKey);
  if (length % 2 === 1) return high;
  // the lower middle is highKey itself when enough keys tie with it, else the largest key below it
  let below = 0;
  let largestBelow = 0;
  for (let i = 0; i < length; i++) {
    const key = keys[i]!;
    if (key < highKey) {
      below++;
      if (key > largestBelow) largestBelow = key;
    }
  }
  const low = below < upper ? high : floatFromSortKey(largestBelow);
  return (low + high) / 2;
}

/** Median of float32 values (no NaN), as numpy computes it; a convenience over `medianOfSortKeys`. */
export function medianFloat32(values: Float32Array, length = values.length): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, length);
  const keys = Uint32Array.from(bits, floatSortKey);
  return medianOfSortKeys(keys, length, new Uint32Array(length));
}

/** The key of rank `rank` (0-based) among keys[0..length); `keys` is left untouched. */
function selectKey(keys: Uint32Array, length: number, rank: number, scratch: Uint32Array): number {
  let source = keys;
  let count = length;
  let prefix = 0;
  for (const { shift, mask } of LEVELS) {
    histogram.fill(0, 0, mask + 1);
    for (let i = 0; i < count; i++) histogram[(source[i]! >>> shift) & mask]!++;
    let bucket = 0;
    while (rank >= histogram[bucket]!) rank -= histogram[bucket++]!;
    prefix = (prefix | (bucket << shift)) >>> 0;
    if (shift === 0) return prefix;
    // keep only the candidates in the chosen bucket (writes never overtake reads, so in place is safe)
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const key = source[i]!;
      if (((key >>> shift) & mask) === bucket) scratch[kept++] = key;
    }
    source = scratch;
    count = kept;
  }
  return prefix;
}
