import { describe, expect, it } from "vitest";
import { joined } from "../../../src/cache/byte-parts.ts";
import { decodeArtifact, encodeArtifact, encodeArtifactParts } from "../../../src/cache/codec.ts";
import { matrix, type Table } from "../../../src/core/artifact.ts";

/** Bit patterns, so NaN and -0 are compared exactly rather than by value. */
function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

describe("matrix codec", () => {
  const data = new Float32Array([1.5, Number.NaN, -0, 0, Infinity, -Infinity, 3.4e38, 1e-45]);
  const m = matrix(4, 2, data);

  it("round-trips values bit for bit, including NaN and -0", () => {
    const back = decodeArtifact("matrix", encodeArtifact("matrix", m));
    expect([back.rows, back.cols]).toEqual([4, 2]);
    expect(Array.from(bits(back.data))).toEqual(Array.from(bits(data)));
  });

  it("decodes aligned bytes as a view into them, unaligned bytes as a copy", () => {
    const bytes = encodeArtifact("matrix", m);
    const back = decodeArtifact("matrix", bytes);
    expect(back.data.buffer).toBe(bytes.buffer);

    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const unaligned = shifted.subarray(3);
    const copy = decodeArtifact("matrix", unaligned);
    expect(copy.data.buffer).not.toBe(shifted.buffer);
    expect(Array.from(bits(copy.data))).toEqual(Array.from(bits(data)));
  });

  it("keeps the column count of an empty matrix", () => {
    const back = decodeArtifact("matrix", encodeArtifact("matrix", matrix(0, 7)));
    expect([back.rows, back.cols, back.data.length]).toEqual([0, 7, 0]);
  });

  it("handles a matrix with no columns", () => {
    const back = decodeArtifact("matrix", encodeArtifact("matrix", matrix(5, 0)));
    expect([back.rows, back.cols, back.data.length]).toEqual([5, 0, 0]);
  });

  it("gives the same bytes for the same matrix, different bytes for a different one", () => {
    const a = encodeArtifact("matrix", matrix(4, 2, data.slice()));
    const b = encodeArtifact("matrix", matrix(4, 2, data.slice()));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const changed = data.slice();
    changed[0] = 2;
    expect(Buffer.from(encodeArtifact("matrix", matrix(4, 2, changed))).equals(Buffer.from(a))).toBe(false);
    expect(Buffer.from(encodeArtifact("matrix", matrix(2, 4, data.slice()))).equals(Buffer.from(a))).toBe(false);
  });

  it("rejects truncated bytes instead of returning a shorter matrix", () => {
    const bytes = encodeArtifact("matrix", m);
    for (const cut of [1, 7, bytes.length >> 1, bytes.length - 10]) {
      expect(() => decodeArtifact("matrix", bytes.subarray(0, cut))).toThrow();
    }
  });

  it("rejects a table's bytes read as a matrix", () => {
    const bytes = encodeArtifact("table", { a: new Float32Array([1, 2]) });
    expect(() => decodeArtifact("matrix", bytes)).toThrow(/FixedSizeList/);
  });
});

describe("table codec", () => {
  const table: Table = {
    phase: new Int8Array([0, 5, -1]),
    host_id: ["elliott-thinkpad", "qemu-vm-ä", "ユニコード 🚀"],
    is_train: new Uint8Array([1, 0, 1]),
    score: new Float32Array([Number.NaN, -0, 1.25]),
    wide: new Float64Array([Math.PI, -0, Number.NaN]),
    cluster: new Int32Array([7, -2147483648, 2147483647]),
    i16: new Int16Array([1, -2, 3]),
    u16: new Uint16Array([1, 65535, 3]),
    u32: new Uint32Array([1, 4294967295, 3]),
    empty_strings: ["", "", "x"],
  };

  it("round-trips every column type, keeping types, order and values", () => {
    const back = decodeArtifact("table", encodeArtifact("table", table));
    expect(Object.keys(back)).toEqual(Object.keys(table));
    for (const [name, values] of Object.entries(table)) {
      const got = back[name]!;
      expect(got.constructor, name).toBe(values.constructor);
      if (ArrayBuffer.isView(values)) {
        const a = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        const b = new Uint8Array((got as Int8Array).buffer, (got as Int8Array).byteOffset, (got as Int8Array).byteLength);
        expect(Array.from(b), name).toEqual(Array.from(a));
      } else {
        expect(got, name).toEqual(values);
      }
    }
  });

  it("round-trips a table with zero rows", () => {
    const empty: Table = { phase: new Int8Array(0), host_id: [], is_train: new Uint8Array(0) };
    const back = decodeArtifact("table", encodeArtifact("table", empty));
    expect(Object.keys(back)).toEqual(["phase", "host_id", "is_train"]);
    expect(back.phase).toBeInstanceOf(Int8Array);
    expect(back.host_id).toEqual([]);
    expect(back.is_train!.length).toBe(0);
  });

  it("gives identical bytes for equal tables and distinct bytes when column order differs", () => {
    const a = encodeArtifact("table", { x: new Int32Array([1, 2]), s: ["a", "b"] });
    const b = encodeArtifact("table", { x: new Int32Array([1, 2]), s: ["a", "b"] });
    const swapped = encodeArtifact("table", { s: ["a", "b"], x: new Int32Array([1, 2]) });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(swapped))).toBe(false);
  });

  it("refuses columns of different lengths", () => {
    expect(() => encodeArtifact("table", { a: new Int8Array(2), b: ["x"] })).toThrow(/length/);
  });

  it("rejects truncated bytes", () => {
    const bytes = encodeArtifact("table", table);
    expect(() => decodeArtifact("table", bytes.subarray(0, bytes.length - 1))).toThrow(/Arrow IPC/);
    expect(() => decodeArtifact("table", bytes.subarray(0, 40))).toThrow(/Arrow IPC/);
  });
});

describe("json and file codecs", () => {
  it("stores json as canonical text: key order does not change the bytes", () => {
    const a = encodeArtifact("json", { b: [1, -0, "ü"], a: { y: null, x: true } });
    const b = encodeArtifact("json", { a: { x: true, y: null }, b: [1, 0, "ü"] });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(new TextDecoder().decode(a)).toBe('{"a":{"x":true,"y":null},"b":[1,0,"ü"]}');
    expect(decodeArtifact("json", a)).toEqual({ a: { x: true, y: null }, b: [1, 0, "ü"] });
  });

  it("rejects truncated json", () => {
    const bytes = encodeArtifact("json", { feature_names: ["a", "b"] });
    expect(() => decodeArtifact("json", bytes.subarray(0, bytes.length - 2))).toThrow();
  });

  it("refuses json that cannot be written canonically (NaN)", () => {
    expect(() => encodeArtifact("json", { x: Number.NaN })).toThrow();
  });

  it("stores files as their exact bytes", () => {
    const bytes = new Uint8Array([0, 255, 80, 65, 82, 49]);
    expect(encodeArtifact("file", bytes)).toEqual(bytes);
    expect(decodeArtifact("file", bytes)).toEqual(bytes);
  });
});

describe("encodeArtifactParts", () => {
  it("gives a matrix's and a table's encoding in parts, the matrix's own buffer among them, not copied", async () => {
    const data = new Float32Array(64 * 9).map((_, i) => Math.sin(i));
    const m = matrix(64, 9, data);
    const parts = (await encodeArtifactParts("matrix", m)) as Uint8Array[];
    expect(Buffer.from(joined(parts)).equals(Buffer.from(encodeArtifact("matrix", m)))).toBe(true);
    expect(parts.some((p) => p.buffer === data.buffer)).toBe(true);
    const table: Table = { row: Int32Array.of(3, 1, 2), name: ["a", "bb", "ccc"], score: Float64Array.of(0.5, -1, 2) };
    expect(Buffer.from(joined(await encodeArtifactParts("table", table))).equals(Buffer.from(encodeArtifact("table", table)))).toBe(true);
  });

  it("gives json as its one encoding", async () => {
    expect(Buffer.from(joined(await encodeArtifactParts("json", { b: 1, a: [2] }))).toString()).toBe('{"a":[2],"b":1}');
  });
});
