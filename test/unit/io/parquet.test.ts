import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../../src/core/paths.ts";
import {
  PARQUET_CREATED_BY,
  readParquet,
  readParquetFile,
  readParquetSchema,
  writeParquet,
  type ColumnSpec,
} from "../../../src/io/parquet.ts";
import { duckChunks, duckRows, duckTypes, FIT_SQL_TYPES } from "../../helpers/duckdb.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "parquet-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A knn_v1-shaped table plus the float64/int32 kinds the demo inputs use; no randomness. */
function sampleColumns(n: number): ColumnSpec[] {
  const ids = Array.from({ length: n }, (_, i) => `ep-${i % 17}`);
  const hosts = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? "qemu-vm-ä" : "lab-node-01"));
  const profiles = Array.from({ length: n }, (_, i) => ["worm", "ランサム", ""][i % 3]!);
  const f32 = (k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 10);
  return [
    { name: "episode_id", type: "utf8", values: ids },
    { name: "host_id", type: "utf8", values: hosts },
    { name: "profile", type: "utf8", values: profiles },
    { name: "x", type: "float32", values: f32(1) },
    { name: "y", type: "float32", values: f32(2) },
    { name: "z", type: "float32", values: f32(3) },
    { name: "phase_int", type: "int8", values: Int8Array.from({ length: n }, (_, i) => i % 6) },
    { name: "predicted_int", type: "int8", values: Int8Array.from({ length: n }, (_, i) => (i * 7) % 6) },
    { name: "cluster", type: "int32", values: Int32Array.from({ length: n }, (_, i) => (i * 31) % 8) },
    { name: "is_train", type: "bool", values: Uint8Array.from({ length: n }, (_, i) => (i % 5 < 2 ? 1 : 0)) },
    { name: "wide", type: "float64", values: Float64Array.from({ length: n }, (_, i) => i / 7) },
  ];
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("writeParquet, read back by DuckDB", () => {
  const columns = sampleColumns(500);
  let path: string;
  beforeAll(async () => {
    path = join(dir, "sample.parquet");
    await writeFile(path, writeParquet(columns));
  });

  it("has the columns in order with the expected SQL types", async () => {
    expect(await duckTypes(path)).toEqual({
      ...FIT_SQL_TYPES,
      wide: "DOUBLE",
    });
    const names = Object.keys(await duckTypes(path));
    expect(names).toEqual(columns.map((c) => c.name));
  });

  it("holds the same values", async () => {
    const rows = await duckRows(`select * from read_parquet('${path}')`);
    expect(rows.length).toBe(500);
    for (const i of [0, 1, 2, 250, 499]) {
      const row = rows[i]!;
      for (const c of columns) {
        const v = c.values[i];
        const expected = c.type === "bool" ? v === 1 : v;
        expect(row[c.name], `${c.name}[${i}]`).toEqual(expected);
      }
    }
    const sums = await duckRows(`select sum(cluster)::bigint as s, sum(x::double) as sx from read_parquet('${path}')`);
    const cluster = columns.find((c) => c.name === "cluster")!.values as Int32Array;
    const x = columns.find((c) => c.name === "x")!.values as Float32Array;
    expect(Number(sums[0]!.s)).toBe(cluster.reduce((a, b) => a + b, 0));
    expect(sums[0]!.sx).toBeCloseTo(
      x.reduce((a, b) => a + b, 0),
      6,
    );
  });

  it("is zstd-compressed without dictionary pages and names pipeline as its writer", async () => {
    const chunks = await duckChunks(path);
    expect(chunks.map((c) => c.column)).toEqual(columns.map((c) => c.name));
    for (const chunk of chunks) {
      expect(chunk.compression, chunk.column).toBe("ZSTD");
      expect(chunk.encodings, chunk.column).not.toMatch(/DICTIONARY/);
    }
    const meta = await duckRows(`select created_by, num_rows from parquet_file_metadata('${path}')`);
    expect(meta[0]!.created_by).toBe(PARQUET_CREATED_BY);
    expect(Number(meta[0]!.num_rows)).toBe(500);
  });

  it("writes a zero-row file that DuckDB reads with the same schema", async () => {
    const empty = sampleColumns(0);
    const emptyPath = join(dir, "empty.parquet");
    await writeFile(emptyPath, writeParquet(empty));
    expect(Object.keys(await duckTypes(emptyPath))).toEqual(empty.map((c) => c.name));
    expect(Number((await duckRows(`select count(*) as n from read_parquet('${emptyPath}')`))[0]!.n)).toBe(0);
    const back = readParquet(writeParquet(empty));
    expect(back.table.episode_id).toEqual([]);
    expect(back.table.x).toBeInstanceOf(Float32Array);
  });
});

describe("readParquet", () => {
  it("round-trips every type, NaN and -0 bit for bit, unicode strings and booleans", () => {
    const x = new Float32Array([Number.NaN, -0, 1.5, -Infinity]);
    const bytes = writeParquet([
      { name: "x", type: "float32", values: x },
      { name: "s", type: "utf8", values: ["ü", "", "🚀 rocket", "日本"] },
      { name: "b", type: "bool", values: new Uint8Array([1, 0, 0, 1]) },
      { name: "p", type: "int8", values: new Int8Array([-128, 0, 5, 127]) },
      { name: "c", type: "int32", values: new Int32Array([-1, 0, 2147483647, 3]) },
      { name: "d", type: "float64", values: new Float64Array([Math.PI, -0, Number.NaN, 1e300]) },
    ]);
    const { table, types, nulls } = readParquet(bytes);
    expect(types).toEqual({ x: "float32", s: "utf8", b: "bool", p: "int8", c: "int32", d: "float64" });
    expect(Object.values(nulls)).toEqual([0, 0, 0, 0, 0, 0]);
    const readX = table.x as Float32Array;
    expect(Array.from(new Uint32Array(readX.slice().buffer))).toEqual(Array.from(new Uint32Array(x.buffer)));
    expect(table.s).toEqual(["ü", "", "🚀 rocket", "日本"]);
    expect(table.b).toEqual(new Uint8Array([1, 0, 0, 1]));
    expect(table.p).toEqual(new Int8Array([-128, 0, 5, 127]));
    expect(table.c).toEqual(new Int32Array([-1, 0, 2147483647, 3]));
    expect(Object.is((table.d as Float64Array)[1], -0)).toBe(true);
  });

  it("returns asked-for columns in the asked order, from bytes and from a file", async () => {
    const bytes = writeParquet(sampleColumns(40));
    const path = join(dir, "projection.parquet");
    await writeFile(path, bytes);
    const fromBytes = readParquet(bytes, { columns: ["cluster", "episode_id"] });
    const fromFile = await readParquetFile(path, { columns: ["cluster", "episode_id"] });
    for (const result of [fromBytes, fromFile]) {
      expect(Object.keys(result.table)).toEqual(["cluster", "episode_id"]);
      expect(result.types).toEqual({ cluster: "int32", episode_id: "utf8" });
      expect((result.table.episode_id as string[])[18]).toBe("ep-1");
    }
    await expect(readParquetFile(path, { columns: ["nope"] })).rejects.toThrow(/nope/);
    expect(() => readParquet(bytes, { columns: ["nope"] })).toThrow(/nope/);
  });

  it("reports the schema without reading data", () => {
    const bytes = writeParquet(sampleColumns(3));
    expect(readParquetSchema(bytes)).toMatchObject({ episode_id: "utf8", is_train: "bool", cluster: "int32" });
  });

  it("throws on bytes that are not parquet", () => {
    expect(() => readParquet(new TextEncoder().encode("not a parquet file at all"))).toThrow();
    const good = writeParquet(sampleColumns(10));
    expect(() => readParquet(good.subarray(0, good.length - 20))).toThrow();
  });

  it("reads a DuckDB-written file: int64 as float64, nulls counted, float nulls as NaN", async () => {
    const path = join(dir, "duck.parquet");
    await duckRows(
      `copy (select i::bigint as id, case when i % 4 = 0 then null else i::float end as f,
              case when i = 2 then null else 'host-' || (i % 2) end as s, (i % 6)::tinyint as phase
             from range(10) t(i)) to '${path}' (format parquet)`,
    );
    const { table, types, nulls } = await readParquetFile(path);
    expect(types).toEqual({ id: "int64", f: "float32", s: "utf8", phase: "int8" });
    expect(table.id).toEqual(Float64Array.from({ length: 10 }, (_, i) => i));
    expect(nulls).toEqual({ id: 0, f: 3, s: 1, phase: 0 });
    expect(Number.isNaN((table.f as Float32Array)[4])).toBe(true);
    expect((table.f as Float32Array)[5]).toBe(5);
    expect((table.s as string[]).slice(0, 4)).toEqual(["host-0", "host-1", "", "host-1"]);
  });

  it("lists columns with no plain form in types but not in the table", async () => {
    const path = join(dir, "timestamps.parquet");
    await duckRows(`copy (select timestamp '2024-01-01' as t, 1.5::double as v) to '${path}' (format parquet)`);
    const { table, types } = await readParquetFile(path);
    expect(Object.keys(table)).toEqual(["v"]);
    expect(types.t).toMatch(/timestamp/);
  });
});

describe("writeParquet determinism", () => {
  it("writes identical bytes twice in one process", () => {
    expect(sha(writeParquet(sampleColumns(3000)))).toBe(sha(writeParquet(sampleColumns(3000))));
  });

  it("writes identical bytes in two separate node processes (compiled module from npm run build)", () => {
    const compiled = join(packageRoot(), "dist", "src", "io", "parquet.js");
    expect(existsSync(compiled), `missing ${compiled}: run npm run build`).toBe(true);
    // the child builds the same columns as sampleColumns(3000) and prints the sha256 of the file
    const script = `
      import { createHash } from "node:crypto";
      import { writeParquet } from ${JSON.stringify(compiled)};
      const n = 3000;
      const f32 = (k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 10);
      const bytes = writeParquet([
        { name: "episode_id", type: "utf8", values: Array.from({ length: n }, (_, i) => "ep-" + (i % 17)) },
        { name: "host_id", type: "utf8", values: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? "qemu-vm-ä" : "lab-node-01")) },
        { name: "profile", type: "utf8", values: Array.from({ length: n }, (_, i) => ["worm", "ランサム", ""][i % 3]) },
        { name: "x", type: "float32", values: f32(1) },
        { name: "y", type: "float32", values: f32(2) },
        { name: "z", type: "float32", values: f32(3) },
        { name: "phase_int", type: "int8", values: Int8Array.from({ length: n }, (_, i) => i % 6) },
        { name: "predicted_int", type: "int8", values: Int8Array.from({ length: n }, (_, i) => (i * 7) % 6) },
        { name: "cluster", type: "int32", values: Int32Array.from({ length: n }, (_, i) => (i * 31) % 8) },
        { name: "is_train", type: "bool", values: Uint8Array.from({ length: n }, (_, i) => (i % 5 < 2 ? 1 : 0)) },
        { name: "wide", type: "float64", values: Float64Array.from({ length: n }, (_, i) => i / 7) },
      ]);
      console.log(createHash("sha256").update(bytes).digest("hex"));`;
    const run = () => execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }).trim();
    const first = run();
    const second = run();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toBe(first);
    expect(first).toBe(sha(writeParquet(sampleColumns(3000))));
  });
});
