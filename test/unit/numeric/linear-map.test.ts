import { describe, expect, it } from "vitest";
import { applyLinearMap, type LinearMap } from "../../../src/numeric/linear-map.ts";

/** One axis at a time, each sum in j order: the definition the fast path must match bit for bit. */
function oneAxisAtATime(data: Float32Array, rows: number, map: LinearMap): Float32Array {
  const { cols, outDims, offset, axes } = map;
  const out = new Float32Array(rows * outDims);
  for (let k = 0; k < outDims; k++) {
    let bias = 0;
    for (let j = 0; j < cols; j++) bias += offset[j]! * axes[k * cols + j]!;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += data[r * cols + j]! * axes[k * cols + j]!;
      out[r * outDims + k] = s - bias;
    }
  }
  return out;
}

describe("applyLinearMap", () => {
  // 1, 3 and 4 axes fit one pass; 5 and 8 take two, the second partly filled
  it.each([
    [9, 1],
    [224, 3],
    [16, 4],
    [37, 5],
    [12, 8],
  ])("gives the bytes of one axis at a time (%i columns, %i axes)", (cols, outDims) => {
    const rows = 500;
    const data = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37) * 3);
    const map = {
      cols,
      outDims,
      offset: Float64Array.from({ length: cols }, (_, j) => Math.cos(j)),
      axes: Float64Array.from({ length: outDims * cols }, (_, i) => Math.sin(i * 1.3)),
    };
    expect(Buffer.from(applyLinearMap(data, rows, map).buffer)).toEqual(Buffer.from(oneAxisAtATime(data, rows, map).buffer));
  });
});
