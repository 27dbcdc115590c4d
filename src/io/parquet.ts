/**
 * Parquet read and write through parquet-wasm (parquet-rs compiled to wasm) and apache-arrow.
 *
 * NOTE: parquet-wasm's Node entry point instantiates its wasm synchronously on import, so no
 * init call is needed. Its wasm memory grows to the largest file handled and never shrinks.
 */
import { readFile } from "node:fs/promises";
import { tableFromIPC, tableToIPC, type Table as ArrowTable } from "apache-arrow";
import * as parquetWasm from "parquet-wasm";
import type { Table } from "../core/artifact.ts";
import { arrowTable, typeName, vectorColumn, type ColumnSpec } from "./arrow-columns.ts";

export type { ColumnSpec, ColumnType } from "./arrow-columns.ts";

/** Written into every file's footer instead of the parquet-rs version, so upgrades keep bytes stable. */
export const PARQUET_CREATED_BY = "pipeline";

/** One batch for files up to a million rows: no concatenation, and numeric columns stay views. */
const READ_BATCH_ROWS = 1 << 20;

export interface ParquetReadResult {
  /** the columns that have a plain form, in file order (see `vectorColumn` for conversions) */
  table: Table;
  /** every requested column's type: `float32`, `int8`, `utf8`, `bool`, ... or arrow's spelling */
  types: Record<string, string>;
  /** missing cells per column (float nulls are already NaN in `table`) */
  nulls: Record<string, number>;
}

/**
 * Read parquet bytes into plain columns. Columns whose type has no plain form (timestamps,
 * lists, ...) appear in `types` but not in `table`, so callers can report them by name.
 * With `columns`, the result holds those columns in that order; parquet-wasm's synchronous
 * reader ignores its own `columns` option, so this decodes every column and keeps the asked
 * ones (use `readParquetFile` to skip decoding the others).
 * Throws for bytes that are not parquet and for column names the file lacks.
 */
export function readParquet(bytes: Uint8Array, options: { columns?: string[] } = {}): ParquetReadResult {
  const wasmTable = parquetWasm.readParquet(bytes, { batchSize: READ_BATCH_ROWS });
  // intoIPCStream consumes (frees) the wasm table; the JS copy is owned by arrow from here
  return plainColumns(tableFromIPC(wasmTable.intoIPCStream()), options.columns);
}

/** `readParquet` of a file on disk; with `columns`, only those column chunks are decoded. */
export async function readParquetFile(path: string, options: { columns?: string[] } = {}): Promise<ParquetReadResult> {
  const bytes = await readFile(path);
  return options.columns ? readParquetColumns(bytes, options.columns) : readParquet(bytes);
}

/**
 * Only the named columns of parquet bytes, in that order, without decoding the others:
 * parquet-wasm's async reader honours the projection (its sync reader does not).
 */
export async function readParquetColumns(bytes: Uint8Array, columns: string[]): Promise<ParquetReadResult> {
  const file = await openParquet(bytes);
  try {
    return await file.read(columns);
  } finally {
    file.close();
  }
}

export interface OpenParquet {
  /** every column's type, from the footer: `float32`, `int8`, `utf8`, ... or arrow's spelling */
  types(): Record<string, string>;
  /** decodes only `columns` */
  read(columns: string[]): Promise<ParquetReadResult>;
  close(): void;
}

/**
 * A parquet file opened once for several column reads. Reading a wide table a group of
 * columns at a time keeps parquet-wasm's memory (which never shrinks) to one group's size.
 * From a Blob, only the footer and the column chunks read are ever in memory: a file-backed
 * Blob (`fs.openAsBlob`) reads a 1 GB file without holding it.
 */
export async function openParquet(source: Uint8Array | Blob): Promise<OpenParquet> {
  const file = await parquetWasm.ParquetFile.fromFile(source instanceof Blob ? source : new Blob([source]));
  return {
    types: () => schemaTypes(file.schema().intoIPCStream()),
    async read(columns) {
      const wasmTable = await file.read({ batchSize: READ_BATCH_ROWS, columns });
      return plainColumns(tableFromIPC(wasmTable.intoIPCStream()), columns);
    },
    close: () => file.free(),
  };
}

function plainColumns(arrow: ArrowTable, columns: string[] | undefined): ParquetReadResult {
  const names = columns ?? arrow.schema.fields.map((f) => f.name);
  const table: Record<string, Table[string]> = {};
  const types: Record<string, string> = {};
  const nulls: Record<string, number> = {};
  for (const name of names) {
    const vector = arrow.getChild(name);
    if (vector === null) throw new RangeError(`parquet file has no column "${name}"`);
    const column = vectorColumn(vector);
    types[name] = column?.type ?? typeName(vector.type);
    nulls[name] = vector.nullCount;
    if (column) table[name] = column.values;
  }
  return { table, types, nulls };
}

/** The column names and types of parquet bytes, without reading any data. */
export function readParquetSchema(bytes: Uint8Array): Record<string, string> {
  return schemaTypes(parquetWasm.readSchema(bytes).intoIPCStream());
}

function schemaTypes(ipc: Uint8Array): Record<string, string> {
  const schema = tableFromIPC(ipc).schema;
  return Object.fromEntries(schema.fields.map((f) => [f.name, typeName(f.type)]));
}

/**
 * Parquet bytes for the columns, in order: zstd, dictionary encoding off (it makes float
 * files bigger and slower), one row group, fixed `created_by`. Same columns → same bytes.
 */
export function writeParquet(columns: readonly ColumnSpec[]): Uint8Array {
  const ipc = tableToIPC(arrowTable(columns), "stream");
  const wasmTable = parquetWasm.Table.fromIPCStream(ipc);
  const properties = new parquetWasm.WriterPropertiesBuilder()
    .setCompression(parquetWasm.Compression.ZSTD)
    .setDictionaryEnabled(false)
    .setCreatedBy(PARQUET_CREATED_BY)
    .setMaxRowGroupSize(1 << 30)
    .build();
  // writeParquet consumes both wasm objects: no free() afterwards
  return parquetWasm.writeParquet(wasmTable, properties);
}
