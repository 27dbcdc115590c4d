import {
  Dictionary,
  Field,
  Int32,
  LargeUtf8,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { arrowTable, columnData, vectorColumn } from "../../../src/io/arrow-columns.ts";

describe("utf8 columns, written without arrow's builder", () => {
  const values = ["", "lab-node-01", "ransomware.alpha", "é", "日本語のホスト", "🦀 crab", "x".repeat(1000), ""];
  const builderData = () => vectorFromArray(values, new Utf8()).data[0]!;

  it("hold the builder's offsets and bytes, multi-byte and empty strings included", () => {
    const ours = columnData({ name: "s", type: "utf8", values });
    const theirs = builderData();
    expect(ours.length).toBe(values.length);
    expect(ours.nullCount).toBe(0);
    expect([...ours.valueOffsets]).toEqual([...theirs.valueOffsets.subarray(0, values.length + 1)]);
    const end = theirs.valueOffsets[values.length]!;
    expect(Buffer.from(ours.values).equals(Buffer.from(theirs.values.subarray(0, end)))).toBe(true);
  });

  it("encode to the same IPC bytes as the builder's column (cached tables keep their hashes) and read back", () => {
    const field = new Field("s", new Utf8(), false);
    const schema = new Schema([field]);
    const struct = makeData({ type: new Struct([field]), length: values.length, nullCount: 0, children: [builderData()] });
    const viaBuilder = new Table(schema, [new RecordBatch(schema, struct)]);
    const ours = arrowTable([{ name: "s", type: "utf8", values }]);
    expect(Buffer.from(tableToIPC(ours, "file")).equals(Buffer.from(tableToIPC(viaBuilder, "file")))).toBe(true);
    expect(vectorColumn(ours.getChild("s")!)?.values).toEqual(values);
  });

  it("leave a column holding a null to the builder, which marks it", () => {
    const table = arrowTable([{ name: "s", type: "utf8", values: [...values, null as unknown as string] }]);
    expect(vectorColumn(table.getChild("s")!)?.nulls).toBe(1);
  });
});

describe("utf8 columns, read back", () => {
  const values = ["a", "a", "", "", "é", "é", "ab", "ba", "日本", "日本", "a"];

  it("are the strings, in slices and across chunks alike", () => {
    const vector = arrowTable([{ name: "s", type: "utf8", values }]).getChild("s")!;
    expect(vectorColumn(vector)?.values).toEqual(values);
    expect(vectorColumn(vector.slice(3, 9))?.values).toEqual(values.slice(3, 9));
    const chunked = vectorFromArray(values.slice(0, 4), new Utf8()).concat(vectorFromArray(values.slice(4), new Utf8()));
    expect(chunked.data).toHaveLength(2);
    expect(vectorColumn(chunked)?.values).toEqual(values);
  });

  it("read a null as an empty string, in a slice too", () => {
    const withNulls = ["x", null, "x", null, "y"];
    const vector = vectorFromArray(withNulls, new Utf8());
    expect(vectorColumn(vector)?.values).toEqual(["x", "", "x", "", "y"]);
    expect(vectorColumn(vector.slice(1, 4))?.values).toEqual(["", "x", ""]);
    expect(vectorColumn(vector)?.nulls).toBe(2);
  });

  it("read dictionary and large strings too (parquet files from pandas or polars keep those types)", () => {
    const dictionary = vectorFromArray(["b", "a", "b", null, "a"], new Dictionary(new Utf8(), new Int32()));
    expect(vectorColumn(dictionary)?.values).toEqual(["b", "a", "b", "", "a"]);
    const large = vectorFromArray(["x", "yz", "", "日本"], new LargeUtf8());
    expect(vectorColumn(large)?.values).toEqual(["x", "yz", "", "日本"]);
  });
});

describe("utf8 columns, written", () => {
  it("treat a hole in a sparse array as a null, as the builder does", () => {
    const sparse = ["a", "b", "c"];
    delete sparse[1];
    const table = arrowTable([{ name: "s", type: "utf8", values: sparse }]);
    expect(vectorColumn(table.getChild("s")!)?.values).toEqual(["a", "", "c"]);
  });
});
