/**
 * The byte form of every artifact kind in the cache. Encodings are deterministic (same value
 * → same bytes), because the cache hashes them to decide whether downstream stages rerun.
 *
 *   matrix  Arrow IPC file, one non-null FixedSizeList<Float32>(cols) column named "matrix"
 *   table   Arrow IPC file, one column per table column, in the table's key order
 *   json    UTF-8 of canonicalJson(value)
 *   file    the bytes themselves
 */
import {
  DataType,
  Field,
  FixedSizeList,
  Float32,
  Precision,
  RecordBatch,
  Schema,
  Struct,
  Table as ArrowTable,
  makeData,
  RecordBatchFileWriter,
  tableFromIPC,
  tableToIPC,
  type Data,
} from "apache-arrow";
import type { Json, Matrix, SlotKind, SlotValues, Table } from "../core/artifact.ts";
import type { ObjectBytes } from "./byte-parts.ts";
import { canonicalJson } from "../core/hash.ts";
import { arrowTable, inferColumnType, vectorColumn } from "../io/arrow-columns.ts";

const MATRIX_COLUMN = "matrix";
const IPC_MAGIC = "ARROW1";

/** The cache bytes of an artifact of the given kind. */
export function encodeArtifact<K extends SlotKind>(kind: K, value: SlotValues[K]): Uint8Array {
  switch (kind) {
    case "matrix":
      return encodeMatrix(value as Matrix);
    case "table":
      return encodeTable(value as Table);
    case "json":
      return new TextEncoder().encode(canonicalJson(value));
    case "file":
      return value as Uint8Array;
    default:
      throw new TypeError(`unknown artifact kind ${String(kind)}`);
  }
}

/**
 * `encodeArtifact`'s bytes as the parts Arrow writes them (headers, then each column's own
 * buffer as a view, then the footer), for the store to hash and write without joining them:
 * a matrix or a wide table is never copied to be cached.
 */
export async function encodeArtifactParts<K extends SlotKind>(kind: K, value: SlotValues[K]): Promise<ObjectBytes> {
  if (kind !== "matrix" && kind !== "table") return encodeArtifact(kind, value);
  const table = kind === "matrix" ? matrixTable(value as Matrix) : arrowTable(tableColumns(value as Table));
  const parts: Uint8Array[] = [];
  for await (const part of RecordBatchFileWriter.writeAll(table)) parts.push(part);
  return parts;
}

/**
 * The artifact stored in `bytes`. Matrix data and numeric table columns are views into
 * `bytes` when it is 8-byte aligned (arrow's buffer alignment), else into an aligned copy.
 * Throws on bytes that are not a complete encoding of the kind (truncated, wrong shape).
 */
export function decodeArtifact<K extends SlotKind>(kind: K, bytes: Uint8Array): SlotValues[K] {
  switch (kind) {
    case "matrix":
      return decodeMatrix(bytes) as SlotValues[K];
    case "table":
      return decodeTable(bytes) as SlotValues[K];
    case "json":
      return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Json as SlotValues[K];
    case "file":
      return bytes as SlotValues[K];
    default:
      throw new TypeError(`unknown artifact kind ${String(kind)}`);
  }
}

function encodeMatrix(m: Matrix): Uint8Array {
  return tableToIPC(matrixTable(m), "file");
}

function matrixTable(m: Matrix): ArrowTable {
  if (m.data.length !== m.rows * m.cols) {
    throw new RangeError(`matrix has ${m.data.length} values, expected ${m.rows} x ${m.cols}`);
  }
  const valueField = new Field("value", new Float32(), false);
  const listType = new FixedSizeList(m.cols, valueField);
  const child = makeData({ type: new Float32(), length: m.data.length, nullCount: 0, data: m.data });
  const list = makeData({ type: listType, length: m.rows, nullCount: 0, child });
  const fields = [new Field(MATRIX_COLUMN, listType, false)];
  const schema = new Schema(fields);
  const struct = makeData({ type: new Struct(fields), length: m.rows, nullCount: 0, children: [list] });
  return new ArrowTable(schema, [new RecordBatch(schema, struct)]);
}

function encodeTable(table: Table): Uint8Array {
  return tableToIPC(arrowTable(tableColumns(table)), "file");
}

function tableColumns(table: Table) {
  return Object.entries(table).map(([name, values]) => ({ name, type: inferColumnType(values), values }));
}

function decodeMatrix(bytes: Uint8Array): Matrix {
  const arrow = readIpcFile(bytes);
  const field = arrow.schema.fields[0];
  const listType = field?.type;
  if (arrow.schema.fields.length !== 1 || !isFloat32List(listType)) {
    throw new Error("cached matrix is not a single FixedSizeList<Float32> column");
  }
  const rows = arrow.numRows;
  const cols = listType.listSize;
  const data = matrixValues(arrow.getChildAt(0)?.data ?? [], cols, rows * cols);
  if (data.length !== rows * cols) throw new Error(`cached matrix holds ${data.length} values, expected ${rows} x ${cols}`);
  return { rows, cols, data };
}

// the reader builds generic type objects (Float with a precision), so no instanceof checks
function isFloat32List(type: DataType | undefined): type is FixedSizeList<Float32> {
  if (!type || !DataType.isFixedSizeList(type)) return false;
  const value = (type as FixedSizeList).valueType;
  return DataType.isFloat(value) && value.precision === Precision.SINGLE;
}

/** The float32 values of the list chunks: a view when there is one chunk (the usual case). */
function matrixValues(chunks: readonly Data[], cols: number, total: number): Float32Array {
  const parts = chunks.map((chunk) => {
    const child = chunk.children[0];
    if (!child || cols === 0) return new Float32Array(0);
    const start = child.offset + chunk.offset * cols;
    return (child.values as Float32Array).subarray(start, start + chunk.length * cols);
  });
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(total);
  let at = 0;
  for (const part of parts) {
    if (at + part.length > total) throw new Error("cached matrix holds more values than its rows");
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function decodeTable(bytes: Uint8Array): Table {
  const arrow = readIpcFile(bytes);
  const table: Record<string, Table[string]> = {};
  arrow.schema.fields.forEach((field, i) => {
    const vector = arrow.getChildAt(i);
    const column = vector ? vectorColumn(vector) : undefined;
    if (!column) throw new Error(`cached table column ${field.name} has unsupported type ${String(field.type)}`);
    table[field.name] = column.values;
  });
  return table;
}

/** Parse an Arrow IPC file, refusing anything without both magic markers (e.g. a truncated write). */
function readIpcFile(bytes: Uint8Array): ArrowTable {
  const n = bytes.length;
  if (n < 12 || ascii(bytes, 0) !== IPC_MAGIC || ascii(bytes, n - 6) !== IPC_MAGIC) {
    throw new Error(`cached artifact is not a complete Arrow IPC file (${n} bytes)`);
  }
  // arrow makes typed-array views at buffer offsets that are multiples of 8 from the start
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  return tableFromIPC(aligned);
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 6));
}
