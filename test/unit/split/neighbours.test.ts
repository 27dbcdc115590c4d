import { describe, expect, it } from "vitest";
import { decodeNeighbours, encodeNeighbours } from "../../../src/split/neighbours.ts";

describe("neighbours table", () => {
  const k = 3;
  const testRows = Int32Array.from([4, 9]);
  const result = { indices: Int32Array.from([1, 0, 2, 2, 1, -1]), distances: Float64Array.from([0.5, 1, 2, 0, 3, Infinity]) };

  it("repeats each test row k times next to its ranked neighbours", () => {
    const table = encodeNeighbours({ testRows, k, result, split: "sample" });
    expect([...(table.row as Int32Array)]).toEqual([4, 4, 4, 9, 9, 9]);
    expect(table.neighbour).toBe(result.indices);
    expect([...(table.split_code as Int8Array)]).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it("decodes back to the same rows, k, result and split", () => {
    const decoded = decodeNeighbours(encodeNeighbours({ testRows, k, result, split: "host" }));
    expect(decoded).toEqual({ testRows, k, result, split: "host" });
  });

  it("rejects a table of another layout", () => {
    expect(() =>
      decodeNeighbours({
        row: new Int32Array(0),
        neighbour: new Int32Array(0),
        distance: new Float64Array(0),
        split_code: new Int8Array(0),
      }),
    ).toThrow(/empty/);
    expect(() => decodeNeighbours({ row: [] as string[] })).toThrow(TypeError);
  });
});
