import type { Table } from "../core/artifact.ts";
import type { FitPredictShard } from "./fit-predict.ts";

/**
 * One classify shard as it is cached: two tables, so a shard computed on another machine
 * travels through the cache like any output.
 *
 *   votes       row Int32 (the shard's query windows, ascending), predicted Int8
 *   neighbours  row Int32 (each test window k times), neighbour Int32, distance Float64
 */
export function encodeShard(shard: FitPredictShard, k: number): { votes: Table; neighbours: Table } {
  const row = new Int32Array(shard.testRows.length * k);
  for (let t = 0; t < shard.testRows.length; t++) row.fill(shard.testRows[t]!, t * k, t * k + k);
  return {
    votes: { row: shard.queries, predicted: shard.votes },
    neighbours: { row, neighbour: shard.testNeighbours.indices, distance: shard.testNeighbours.distances },
  };
}

/** The inverse of encodeShard; throws TypeError on tables of another layout. */
export function decodeShard(tables: { votes: Table; neighbours: Table }, k: number): FitPredictShard {
  const { row: queries, predicted: votes } = tables.votes;
  const { row, neighbour, distance } = tables.neighbours;
  if (!(queries instanceof Int32Array) || !(votes instanceof Int8Array) || queries.length !== votes.length) {
    throw new TypeError("a classify shard's votes table needs Int32 row and Int8 predicted columns of one length");
  }
  if (!(row instanceof Int32Array) || !(neighbour instanceof Int32Array) || !(distance instanceof Float64Array) || row.length % k !== 0) {
    throw new TypeError(
      `a classify shard's neighbours table needs Int32 row and neighbour and Float64 distance columns, k=${k} rows per window`,
    );
  }
  const testRows = new Int32Array(row.length / k);
  for (let t = 0; t < testRows.length; t++) testRows[t] = row[t * k]!;
  return { queries, votes, testRows, testNeighbours: { indices: neighbour, distances: distance } };
}
