/**
 * Conversions between our plain columns (typed arrays, string[], booleans as Uint8Array 0/1)
 * and apache-arrow vectors. Shared by the parquet reader/writer and the cache codec.
 */
import {
  Bool,
  DataType,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int8,
  RecordBatch,
  Schema,
  Struct,
  Table as ArrowTable,
  Type,
  Uint16,
  Uint32,
  Uint8,
  Utf8,
  makeData,
  vectorFromArray,
  type Data,
  type Vector,
} from "apache-arrow";
import type { Column, NumericColumn } from "../core/artifact.ts";

/** The column types our files and caches use; `bool` travels as a Uint8Array of 0/1. */
export type ColumnType = "utf8" | "float32" | "float64" | "int8" | "int16" | "int32" | "uint8" | "uint16" | "uint32" | "bool";

/** A named column with its declared type (a Uint8Array is `uint8` or `bool`, so the type is explicit). */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly values: Column;
}

/** A column read back from arrow; `type` names the arrow type, `nulls` counts missing cells. */
export interface ReadColumn {
  readonly values: Column;
  readonly type: string;
  readonly nulls: number;
}

/** The natural ColumnType of a value (Uint8Array → uint8, string[] → utf8). */
export function inferColumnType(values: Column): ColumnType {
  if (Array.isArray(values)) return "utf8";
  if (values instanceof Float32Array) return "float32";
  if (values instanceof Float64Array) return "float64";
  if (values instanceof Int8Array) return "int8";
  if (values instanceof Int16Array) return "int16";
  if (values instanceof Int32Array) return "int32";
  if (values instanceof Uint8Array) return "uint8";
  if (values instanceof Uint16Array) return "uint16";
  if (values instanceof Uint32Array) return "uint32";
  throw new TypeError(`unsupported column value ${Object.prototype.toString.call(values)}`);
}

const numericArrowType = {
  float32: () => new Float32(),
  float64: () => new Float64(),
  int8: () => new Int8(),
  int16: () => new Int16(),
  int32: () => new Int32(),
  uint8: () => new Uint8(),
  uint16: () => new Uint16(),
  uint32: () => new Uint32(),
} as const;

const typedArrayOf = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
} as const;

/** Arrow Data for one column. Numeric data is not copied; strings and booleans are encoded. */
export function columnData(spec: ColumnSpec): Data {
  const { name, type, values } = spec;
  if (type === "utf8") {
    if (!Array.isArray(values)) throw new TypeError(`column ${name}: utf8 needs a string array`);
    if (allStrings(values)) return utf8Data(values as string[]);
    return vectorFromArray(values as string[], new Utf8()).data[0] ?? makeData({ type: new Utf8(), length: 0 });
  }
  if (Array.isArray(values)) throw new TypeError(`column ${name}: ${type} needs a typed array`);
  if (type === "bool") {
    if (!(values instanceof Uint8Array)) throw new TypeError(`column ${name}: bool needs a Uint8Array of 0/1`);
    return makeData({ type: new Bool(), length: values.length, nullCount: 0, data: packBits(values) });
  }
  const expected = typedArrayOf[type];
  if (!(values instanceof expected)) {
    throw new TypeError(`column ${name}: ${type} needs a ${expected.name}, got ${values.constructor.name}`);
  }
  // the typed array already matches the arrow type, so it becomes the data buffer as is (no copy)
  const arrowType = numericArrowType[type]() as Float32;
  return makeData({ type: arrowType, length: values.length, nullCount: 0, data: values as Float32Array });
}

/**
 * Utf8 Data written straight into one offsets array and one bytes buffer, the layout arrow's
 * builder produces. The builder (vectorFromArray) left ~300 bytes of garbage per string: on the
 * 300k demo, write-fit's three id columns left 280 MB of heap behind for 9 MB of text.
 */
function utf8Data(values: readonly string[]): Data {
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    total += Buffer.byteLength(values[i]!, "utf8");
    if (total > 0x7fffffff) throw new RangeError("utf8 column: over 2 GiB of text does not fit arrow's 32-bit offsets");
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  const text = Buffer.from(data.buffer, 0, total);
  for (let i = 0; i < values.length; i++) text.write(values[i]!, offsets[i]!, "utf8");
  return makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data });
}

/** Whether every slot holds a string (a loop, not every(): every() skips the holes of a sparse array). */
function allStrings(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== "string") return false;
  return true;
}

/** An arrow Table holding the columns in the given order, every field non-nullable. */
export function arrowTable(columns: readonly ColumnSpec[]): ArrowTable {
  const lengths = new Set(columns.map((c) => c.values.length));
  if (lengths.size > 1) throw new RangeError(`columns differ in length: ${[...lengths].join(", ")}`);
  const length = columns[0]?.values.length ?? 0;
  const children = columns.map(columnData);
  const fields = columns.map((c, i) => new Field(c.name, children[i]!.type, false));
  const schema = new Schema(fields);
  const struct = makeData({ type: new Struct(fields), length, nullCount: 0, children });
  return new ArrowTable(schema, [new RecordBatch(schema, struct)]);
}

/** LSB-first bitmap, as arrow lays out booleans. */
function packBits(values: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 8));
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== 0) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

/** Our name for an arrow type: `float32`, `int8`, `utf8`, `bool`, ...; anything else its arrow spelling. */
export function typeName(type: DataType): string {
  if (DataType.isFloat(type)) return ["float16", "float32", "float64"][type.precision] ?? String(type);
  if (DataType.isInt(type)) return `${type.isSigned ? "int" : "uint"}${type.bitWidth}`;
  if (DataType.isBool(type)) return "bool";
  if (isStringType(type)) return "utf8";
  return String(type).toLowerCase();
}

function isStringType(type: DataType): boolean {
  if (type.typeId === Type.Utf8 || type.typeId === Type.LargeUtf8 || type.typeId === Type.Utf8View) return true;
  return DataType.isDictionary(type) && isStringType(type.dictionary);
}

/**
 * Our column for an arrow vector, or undefined when the type has no plain-column form
 * (timestamps, lists, float16, ...). Single-chunk numeric vectors without nulls are views,
 * not copies; 64-bit integers become Float64Array (exact up to 2^53); float nulls become NaN.
 */
export function vectorColumn(vector: Vector): ReadColumn | undefined {
  const type = typeName(vector.type);
  const nulls = vector.nullCount;
  if (type === "utf8") return { values: readStrings(vector), type, nulls };
  if (type === "bool") return { values: readBools(vector), type, nulls };
  if (type === "int64" || type === "uint64") return { values: readBigInts(vector), type, nulls };
  if (!(type in typedArrayOf)) return undefined;
  const values = vector.toArray() as NumericColumn;
  if (nulls > 0 && (type === "float32" || type === "float64")) return { values: nullsToNaN(vector, values), type, nulls };
  return { values, type, nulls };
}

/**
 * The strings of a utf8 vector, nulls as "". A value whose bytes equal the one before it reuses
 * that string: ids come in runs (every window of an episode has its episode's, host's and
 * profile's), so a million windows hold a few thousand strings and pointers to them, not three
 * million strings (~40 B each, and arrow's per-value decoding left as much again in garbage).
 */
function readStrings(vector: Vector): string[] {
  const out = new Array<string>(vector.length);
  // dictionary, large and view strings (pandas categoricals, polars' files) are read value by value
  if (!vector.data.every((chunk) => chunk.typeId === Type.Utf8)) {
    for (let i = 0; i < vector.length; i++) out[i] = (vector.get(i) as string | null) ?? "";
    return out;
  }
  const decoder = new TextDecoder();
  let at = 0;
  for (const chunk of vector.data) {
    const offsets = chunk.valueOffsets as Int32Array;
    const bytes = chunk.values as Uint8Array;
    const validity = chunk.nullCount > 0 ? chunk.nullBitmap : undefined;
    let previous = "";
    let previousStart = 0;
    let previousEnd = -1; // no previous value yet
    for (let i = 0; i < chunk.length; i++, at++) {
      const bit = chunk.offset + i; // a sliced chunk's bitmap is not sliced, its offsets are
      if (validity && ((validity[bit >> 3]! >> (bit & 7)) & 1) === 0) {
        out[at] = "";
        continue;
      }
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      if (!sameBytes(bytes, start, end, previousStart, previousEnd)) {
        previous = decoder.decode(bytes.subarray(start, end));
        previousStart = start;
        previousEnd = end;
      }
      out[at] = previous;
    }
  }
  return out;
}

function sameBytes(bytes: Uint8Array, start: number, end: number, otherStart: number, otherEnd: number): boolean {
  if (end - start !== otherEnd - otherStart) return false;
  for (let i = 0; i < end - start; i++) if (bytes[start + i] !== bytes[otherStart + i]) return false;
  return true;
}

function readBools(vector: Vector): Uint8Array {
  const out = new Uint8Array(vector.length);
  let at = 0;
  for (const chunk of vector.data) {
    const bits = chunk.values as Uint8Array;
    for (let i = 0; i < chunk.length; i++) {
      const bit = chunk.offset + i;
      out[at++] = (bits[bit >> 3]! >> (bit & 7)) & 1;
    }
  }
  return out;
}

function readBigInts(vector: Vector): Float64Array {
  const raw = vector.toArray() as BigInt64Array | BigUint64Array;
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = Number(raw[i]!);
  return out;
}

function nullsToNaN(vector: Vector, values: NumericColumn): NumericColumn {
  const copy = values.slice();
  for (let i = 0; i < copy.length; i++) if (!vector.isValid(i)) copy[i] = Number.NaN;
  return copy;
}
