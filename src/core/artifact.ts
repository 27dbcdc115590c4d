/**
 * The values that flow between stages. Every output slot has one of these kinds, and the
 * engine stores it in the cache with a fixed codec (src/cache/codec.ts):
 *
 *   matrix  Matrix (float32, row-major)          Arrow IPC file, one FixedSizeList column
 *   table   Table (equal-length columns)         Arrow IPC file
 *   json    plain JSON data                      canonical JSON text
 *   file    Uint8Array (a file's exact bytes)    the bytes themselves
 *
 * Input slots may also be `path`: an external file the engine hashes by content and hands to
 * the stage as a FileRef, never read by the engine itself.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** row-major, length rows * cols */
  readonly data: Float32Array;
}

export type NumericColumn = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/** Booleans travel as Uint8Array of 0/1; strings as plain arrays. */
export type Column = NumericColumn | readonly string[];

/** Named columns of one common length; key order is the column order. */
export type Table = Readonly<Record<string, Column>>;

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * An external input file: `path` is absolute, `display` is how to name it to the user. `hash`
 * is the sha256 the stage's cache key names: a stage reads the file with `readInputFile`
 * (src/io/input-file.ts), which proves it read those bytes.
 */
export interface FileRef {
  readonly path: string;
  readonly display: string;
  readonly hash?: string;
}

export type SlotKind = "matrix" | "table" | "json" | "file";
export type InputKind = SlotKind | "path";

export interface SlotValues {
  matrix: Matrix;
  table: Table;
  json: Json;
  file: Uint8Array;
  path: FileRef;
}

export function matrix(rows: number, cols: number, data?: Float32Array): Matrix {
  const values = data ?? new Float32Array(rows * cols);
  if (values.length !== rows * cols) {
    throw new RangeError(`matrix data has ${values.length} values, expected ${rows} x ${cols}`);
  }
  return { rows, cols, data: values };
}

export function tableRows(table: Table): number {
  const first = Object.values(table)[0];
  return first === undefined ? 0 : first.length;
}
