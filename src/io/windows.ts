/**
 * Reading features_window_v1.parquet for the load stage: checks every column the pipeline
 * needs, keeps an evenly spaced subset of rows, and packs the features row-major float32.
 */
import type { FileRef, Matrix } from "../core/artifact.ts";
import { InputError, describeError } from "../core/errors.ts";
import { describePhaseCodes, MAX_PHASE, PHASE_NAMES } from "../core/phases.ts";
import { blobChangedError, isBlobChangedError, openInputBlob } from "./input-file.ts";
import { openParquet, type OpenParquet } from "./parquet.ts";

export const LABEL_COLUMNS = ["phase", "episode_id", "host_id", "profile"] as const;
const ID_COLUMNS = ["episode_id", "host_id", "profile"] as const;
/** Phase codes 0..5 (clean .. failed), SPEC section 1. */
const NUMERIC = /^(float(32|64)|u?int(8|16|32|64))$/;

export interface Windows {
  features: Matrix;
  phase: Int8Array;
  episodeId: string[];
  hostId: string[];
  profile: string[];
  rowsInFile: number;
}

/** Read, check and subsample the window table. Every problem is an InputError naming file and column. */
export async function readWindows(file: FileRef, featureNames: readonly string[], maxRows: number | null): Promise<Windows> {
  // a file-backed Blob: parquet-wasm fetches the footer and the column chunks it decodes, so
  // neither the file nor a copy of it is ever held whole (850 MB at a million windows)
  const blob = await openInputBlob(file);
  const parquet = await openParsed(blob, file);
  try {
    checkColumns(parquet.types(), featureNames, file);
    return await readOpened(parquet, file, featureNames, maxRows);
  } catch (error) {
    throw isBlobChangedError(error) ? blobChangedError(file) : error;
  } finally {
    parquet.close();
  }
}

async function openParsed(blob: Blob, file: FileRef): Promise<OpenParquet> {
  try {
    return await openParquet(blob);
  } catch (error) {
    if (isBlobChangedError(error)) throw blobChangedError(file);
    throw new InputError(
      `${file.display}: cannot read it as parquet (${describeError(error)})`,
      "point load's windows input at features_window_v1.parquet, or regenerate it with `pipeline demo-data`",
    );
  }
}

/**
 * Features are read FEATURE_GROUP columns at a time, straight into the row-major matrix.
 * parquet-wasm's memory grows to the largest read and never shrinks: 8 columns of 600k rows
 * peak at 974 MB in all against 1292 MB for 32, at the same speed (4 columns: 937 MB, slower).
 */
const FEATURE_GROUP = 8;

async function readOpened(parquet: OpenParquet, file: FileRef, featureNames: readonly string[], maxRows: number | null): Promise<Windows> {
  const { table, nulls } = await parquet.read([...LABEL_COLUMNS]);
  const rowsInFile = (table.phase ?? []).length;
  if (rowsInFile === 0) {
    throw new InputError(`${file.display}: the table has no rows`, "point load's windows input at a window table with at least one row");
  }
  for (const name of ID_COLUMNS) {
    if ((nulls[name] ?? 0) > 0) throw columnError(file, name, `has ${nulls[name]} missing values`, "fill in every row's ids");
  }
  const phase = checkedPhase(table.phase as ArrayLike<number>, nulls.phase ?? 0, file);
  const keep = keptRows(rowsInFile, maxRows);
  const features = new Float32Array(keep.length * featureNames.length);
  for (let first = 0; first < featureNames.length; first += FEATURE_GROUP) {
    const names = featureNames.slice(first, first + FEATURE_GROUP);
    const group = (await parquet.read(names)).table;
    packColumnsInto(
      features,
      featureNames.length,
      first,
      names.map((n) => group[n] as ArrayLike<number>),
      keep,
    );
  }
  return {
    features: { rows: keep.length, cols: featureNames.length, data: features },
    phase: Int8Array.from(keep, (i) => phase[i]!),
    episodeId: pick(table.episode_id as string[], keep),
    hostId: pick(table.host_id as string[], keep),
    profile: pick(table.profile as string[], keep),
    rowsInFile,
  };
}

function checkColumns(types: Record<string, string>, featureNames: readonly string[], file: FileRef): void {
  for (const name of [...featureNames, ...LABEL_COLUMNS]) {
    if (!(name in types)) {
      const known = Object.keys(types).slice(0, 8).join(", ");
      throw columnError(
        file,
        name,
        "is missing",
        `add the column, or fix its name in feature_schema_v1.json (the file has: ${known}, ...)`,
      );
    }
  }
  for (const name of featureNames) {
    if (!NUMERIC.test(types[name]!)) {
      throw columnError(
        file,
        name,
        `is ${types[name]}, not numeric`,
        "store feature columns as float32 or float64 (NaN for missing values)",
      );
    }
  }
  if (!/^u?int(8|16|32|64)$/.test(types.phase!)) {
    throw columnError(
      file,
      "phase",
      `is ${types.phase}, not an integer phase code`,
      `store phase as an integer code 0..${MAX_PHASE} (${PHASE_NAMES.join(", ")})`,
    );
  }
  for (const name of ID_COLUMNS) {
    if (types[name] !== "utf8") throw columnError(file, name, `is ${types[name]}, not a string`, `store ${name} as a string column`);
  }
}

function checkedPhase(phase: ArrayLike<number>, nulls: number, file: FileRef): ArrayLike<number> {
  const hint = `phase codes are ${describePhaseCodes()}`;
  if (nulls > 0) throw columnError(file, "phase", `has ${nulls} missing values`, hint);
  for (let i = 0; i < phase.length; i++) {
    const code = phase[i]!;
    if (!(code >= 0 && code <= MAX_PHASE)) throw columnError(file, "phase", `holds ${code} at row ${i}, outside 0..${MAX_PHASE}`, hint);
  }
  return phase;
}

function columnError(file: FileRef, column: string, problem: string, hint: string): InputError {
  return new InputError(`${file.display}: column ${column} ${problem}`, hint);
}

/**
 * Rows kept for `max_rows`: floor(linspace(0, n - 1, max_rows)), as numpy computes it
 * (i * step with step = (n - 1) / (max_rows - 1), the last one exactly n - 1).
 */
export function keptRows(n: number, maxRows: number | null): Int32Array {
  if (maxRows === null || n <= maxRows) return Int32Array.from({ length: n }, (_, i) => i);
  if (maxRows === 1) return Int32Array.of(0);
  const step = (n - 1) / (maxRows - 1);
  const rows = Int32Array.from({ length: maxRows }, (_, i) => Math.floor(i * step));
  rows[maxRows - 1] = n - 1;
  return rows;
}

const PACK_BLOCK_ROWS = 512;

/** Writes `columns` (rows picked by `keep`) into columns first.. of a row-major matrix of `cols`. */
function packColumnsInto(data: Float32Array, cols: number, first: number, columns: ArrayLike<number>[], keep: Int32Array): void {
  // blocks of rows keep the output block in cache while columns are scattered into it
  for (let start = 0; start < keep.length; start += PACK_BLOCK_ROWS) {
    const end = Math.min(keep.length, start + PACK_BLOCK_ROWS);
    for (let j = 0; j < columns.length; j++) {
      const column = columns[j]!;
      for (let r = start; r < end; r++) data[r * cols + first + j] = column[keep[r]!]!;
    }
  }
}

function pick(values: readonly string[], keep: Int32Array): string[] {
  return Array.from(keep, (i) => values[i]!);
}
