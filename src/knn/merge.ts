import { TopList, writeTop, emptyResult } from "./exact.ts";
import type { KnnResult } from "./types.ts";

/**
 * Per query, the top-k of the union of two results that each hold k entries per query
 * (e.g. the train group and the val group of one search). A row present in both counts once.
 * Order: distance asc, then row id asc, as everywhere in this module.
 */
export function mergeNeighbours(a: KnnResult, b: KnnResult, k: number): KnnResult {
  if (a.indices.length !== b.indices.length || a.indices.length % k !== 0) {
    throw new RangeError(`mergeNeighbours: both results need ${k} entries per query and the same query count`);
  }
  const queries = a.indices.length / k;
  const result = emptyResult(queries, k);
  const list = new TopList(k);
  for (let q = 0; q < queries; q++) {
    list.reset();
    for (const source of [a, b]) {
      for (let i = q * k; i < q * k + k; i++) {
        const id = source.indices[i]!;
        if (id < 0 || contains(list, id)) continue;
        const d = source.distances[i]!;
        list.push(d * d, id);
      }
    }
    writeTop(list, result, q, k);
    // copy the original distances: sqrt(d*d) need not round-trip to d exactly
    for (let i = 0; i < k; i++) result.distances[q * k + i] = distanceOf(a, b, q, k, result.indices[q * k + i]!);
  }
  return result;
}

function contains(list: TopList, id: number): boolean {
  for (let i = 0; i < list.size; i++) if (list.ids[i] === id) return true;
  return false;
}

function distanceOf(a: KnnResult, b: KnnResult, q: number, k: number, id: number): number {
  if (id < 0) return Infinity;
  for (const source of [a, b]) {
    for (let i = q * k; i < q * k + k; i++) if (source.indices[i] === id) return source.distances[i]!;
  }
  return Infinity;
}
