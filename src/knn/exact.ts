import type { KnnResult } from "./types.ts";

/**
 * The one definition of a distance every path reports: float64 sum over j in order of
 * (a_j - b_j)^2, from float32 inputs. The SIMD path re-checks its candidates with this exact
 * function, so its distances are bit-identical to the brute force below.
 */
export function squaredDistance64(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dims: number): number {
  let sum = 0;
  for (let j = 0; j < dims; j++) {
    const diff = a[aOffset + j]! - b[bOffset + j]!;
    sum += diff * diff;
  }
  return sum;
}

/**
 * A bounded list of the best `capacity` (key asc, id asc) pairs. Insertion sort is the right
 * tool for k around 10: most candidates fail the single comparison against the worst kept.
 */
export class TopList {
  readonly keys: Float64Array;
  readonly ids: Int32Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.keys = new Float64Array(capacity).fill(Infinity);
    this.ids = new Int32Array(capacity).fill(-1);
  }

  reset(): void {
    this.size = 0;
    this.keys.fill(Infinity);
    this.ids.fill(-1);
  }

  /** The key a candidate must beat (or tie with a lower id) to enter. */
  worst(): number {
    return this.size < this.capacity ? Infinity : this.keys[this.capacity - 1]!;
  }

  push(key: number, id: number): void {
    const { keys, ids, capacity } = this;
    let at = this.size < capacity ? this.size : capacity - 1;
    if (this.size >= capacity && !precedes(key, id, keys[at]!, ids[at]!)) return;
    while (at > 0 && precedes(key, id, keys[at - 1]!, ids[at - 1]!)) {
      keys[at] = keys[at - 1]!;
      ids[at] = ids[at - 1]!;
      at--;
    }
    keys[at] = key;
    ids[at] = id;
    if (this.size < capacity) this.size++;
  }
}

function precedes(keyA: number, idA: number, keyB: number, idB: number): boolean {
  return keyA < keyB || (keyA === keyB && idA < idB);
}

/** Writes a squared-distance top list as Euclidean distances into `result` at query slot `q`. */
export function writeTop(list: TopList, result: KnnResult, q: number, k: number): void {
  for (let i = 0; i < k; i++) {
    const present = i < list.size;
    result.indices[q * k + i] = present ? list.ids[i]! : -1;
    result.distances[q * k + i] = present ? Math.sqrt(list.keys[i]!) : Infinity;
  }
}

export function emptyResult(queries: number, k: number): KnnResult {
  return { indices: new Int32Array(queries * k).fill(-1), distances: new Float64Array(queries * k).fill(Infinity) };
}

/**
 * Plain float64 brute force: the test oracle and the fallback the fast path uses when its
 * float32 shortlist cannot be proven complete. `queryData` holds the query vectors row-major.
 */
export function bruteForceKnn(data: Float32Array, dims: number, reference: Int32Array, queryData: Float32Array, k: number): KnnResult {
  const queries = queryData.length / dims;
  const result = emptyResult(queries, k);
  const list = new TopList(k);
  for (let q = 0; q < queries; q++) {
    list.reset();
    for (const row of reference) list.push(squaredDistance64(queryData, q * dims, data, row * dims, dims), row);
    writeTop(list, result, q, k);
  }
  return result;
}
