/**
 * The one seeded PRNG every stage uses (xoshiro128**, seeded through splitmix32), so a seed
 * gives the same stream on every platform and Node version. Stages never call Math.random.
 */
export interface Rng {
  /** uniform float in [0, 1) with 32 bits of randomness */
  next(): number;
  /** uniform integer in [0, n) */
  int(n: number): number;
  /** Fisher–Yates shuffle in place; returns the same array */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T;
  /** k distinct indices from [0, n), sorted ascending (k >= n returns all of them) */
  sample(n: number, k: number): Int32Array;
  /** an independent stream, derived from this one's seed and a label */
  fork(label: string): Rng;
}

export function createRng(seed: number): Rng {
  let mix = seed >>> 0;
  const splitmix = (): number => {
    mix = (mix + 0x9e3779b9) >>> 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = new Uint32Array([splitmix(), splitmix(), splitmix(), splitmix()]);
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;

  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };

  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    int(n) {
      if (!(n > 0)) throw new RangeError(`rng.int needs n > 0, got ${n}`);
      // rejection sampling keeps every value exactly equally likely
      const limit = 4294967296 - (4294967296 % n);
      let x = nextU32();
      while (x >= limit) x = nextU32();
      return x % n;
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
    sample(n, k) {
      if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
      // partial Fisher–Yates over an index array: O(n) memory, O(k) swaps
      const idx = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + rng.int(n - i);
        const tmp = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = tmp;
      }
      return idx.slice(0, k).sort();
    },
    fork(label) {
      return createRng(hashLabel(seed, label));
    },
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** FNV-1a over the label, mixed with the seed: cheap, stable, good enough to separate streams. */
function hashLabel(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
