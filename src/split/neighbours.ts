import type { Table } from "../core/artifact.ts";
import type { KnnResult } from "../knn/index.ts";
import { SPLIT_RECIPES, type SplitRecipe } from "./index.ts";

/**
 * classify's `neighbours` table: the train-only top-k of every test window, so evaluate can
 * score without a second search. One table row per (test window, rank):
 *
 *   row         Int32Array   the test window's row id, repeated k times (ascending windows)
 *   neighbour   Int32Array   the train row id at that rank (-1 when padding)
 *   distance    Float64Array Euclidean distance (Infinity when padding)
 *   split_code  Int8Array    the split recipe, index into SPLIT_RECIPES (constant column)
 *
 * Ranks are in KnnResult order (distance asc, then row id asc), so k = rows / distinct windows.
 */
export interface TestNeighbours {
  readonly testRows: Int32Array;
  readonly k: number;
  readonly result: KnnResult;
  readonly split: SplitRecipe;
}

export function encodeNeighbours(neighbours: TestNeighbours): Table {
  const { testRows, k, result } = neighbours;
  const row = new Int32Array(testRows.length * k);
  for (let q = 0; q < testRows.length; q++) row.fill(testRows[q]!, q * k, q * k + k);
  const splitCode = new Int8Array(row.length).fill(SPLIT_RECIPES.indexOf(neighbours.split));
  return { row, neighbour: result.indices, distance: result.distances, split_code: splitCode };
}

/** The inverse of encodeNeighbours; throws TypeError on a table of another layout. */
export function decodeNeighbours(table: Table): TestNeighbours {
  const { row, neighbour, distance, split_code: splitCode } = table;
  if (
    !(row instanceof Int32Array) ||
    !(neighbour instanceof Int32Array) ||
    !(distance instanceof Float64Array) ||
    !(splitCode instanceof Int8Array)
  ) {
    throw new TypeError("neighbours table needs Int32 row, Int32 neighbour, Float64 distance and Int8 split_code columns");
  }
  if (row.length === 0) throw new TypeError("neighbours table is empty: classify found no test windows");
  let k = 1;
  while (k < row.length && row[k] === row[0]) k++;
  if (row.length % k !== 0) throw new TypeError(`neighbours table has ${row.length} rows, not a multiple of k=${k}`);
  const testRows = new Int32Array(row.length / k);
  for (let q = 0; q < testRows.length; q++) testRows[q] = row[q * k]!;
  const split = SPLIT_RECIPES[splitCode[0]!];
  if (split === undefined) throw new TypeError(`neighbours table has an unknown split_code ${splitCode[0]}`);
  return { testRows, k, result: { indices: neighbour, distances: distance }, split };
}
