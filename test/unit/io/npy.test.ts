import { describe, expect, it } from "vitest";
import { matrix } from "../../../src/core/artifact.ts";
import { npyFloat32 } from "../../../src/io/npy.ts";

/** The header text and the data of .npy bytes, read as numpy's format 1.0 describes them. */
function parse(bytes: Uint8Array): { header: string; offset: number; data: Float32Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint16(8, true);
  const offset = 10 + length;
  const data = new Float32Array(bytes.slice(offset).buffer);
  return { header: new TextDecoder("latin1").decode(bytes.subarray(10, offset)), offset, data };
}

describe("npyFloat32", () => {
  it.each([
    [0, 3],
    [1, 1],
    [3, 2],
    [12_345, 7],
    [100_000, 3],
  ])("a %i x %i matrix: magic, version 1.0, a header padded to 64 bytes and ended by a newline", (rows, cols) => {
    const bytes = npyFloat32(matrix(rows, cols));
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const { header, offset, data } = parse(bytes);
    expect(offset % 64).toBe(0);
    expect(header).toMatch(new RegExp(`^\\{'descr': '<f4', 'fortran_order': False, 'shape': \\(${rows}, ${cols}\\), \\} *\\n$`));
    expect(data.length).toBe(rows * cols);
  });

  it("writes the values row-major, as float32 little-endian, NaN and -0 kept, and the same bytes each time", () => {
    const m = matrix(2, 3, Float32Array.from([1, -2.5, Number.NaN, 3e-8, -0, 65504]));
    const bytes = npyFloat32(m);
    const { data } = parse(bytes);
    expect(Array.from(data)).toEqual(Array.from(m.data));
    expect(Object.is(data[4], -0)).toBe(true);
    const first = new DataView(bytes.buffer, parse(bytes).offset, 4).getFloat32(0, true);
    expect(first).toBe(1);
    expect(npyFloat32(m)).toEqual(bytes);
  });

  it("refuses a matrix whose data does not fill its shape", () => {
    expect(() => npyFloat32({ rows: 2, cols: 3, data: new Float32Array(5) })).toThrow(/5 values, expected 2 x 3/);
  });
});
