/**
 * From latent window-major values to the raw feature columns of the demo parquet: per-feature
 * units (scale, centre, log-normal counts), float32 or float64 storage, ~1% NaN cells, and a
 * few all-NaN and constant columns (which standardize must drop).
 */
import type { Rng } from "../core/rng.ts";
import { SHAPE, skip } from "./features.ts";

export interface RawColumns {
  readonly columns: (Float32Array | Float64Array)[];
  readonly allNaN: readonly number[];
  readonly constant: readonly number[];
}

/** Every tenth feature is stored as float64, like a table assembled from mixed sources. */
export function isFloat64Feature(j: number): boolean {
  return j % 10 === 9;
}

/** About one in 80 columns each is all-NaN or constant (one of each from 8 features up). */
function specialCount(features: number): number {
  return features < 8 ? 0 : Math.max(1, Math.round(features / 80));
}

export function rawColumns(latent: Float32Array, rows: number, features: number, rng: Rng): RawColumns {
  const special = Array.from(rng.shuffle(Int32Array.from({ length: features }, (_, j) => j)).slice(0, 2 * specialCount(features)));
  const allNaN = special.slice(0, special.length / 2).sort((a, b) => a - b);
  const constant = special.slice(special.length / 2).sort((a, b) => a - b);
  const columns = Array.from({ length: features }, (_, j) => (isFloat64Feature(j) ? new Float64Array(rows) : new Float32Array(rows)));
  const units = Array.from({ length: features }, () => featureUnits(rng));
  // row blocks keep the window-major latent block in cache while it is spread over columns
  for (let start = 0; start < rows; start += UNIT_BLOCK_ROWS) {
    const end = Math.min(rows, start + UNIT_BLOCK_ROWS);
    for (let j = 0; j < features; j++) fillUnits(columns[j]!, latent, j, features, units[j]!, start, end);
  }
  addNaNCells(columns, rows, rng);
  for (const j of allNaN) columns[j]!.fill(Number.NaN);
  for (const j of constant) columns[j]!.fill(j % 2 === 0 ? 0 : 1);
  return { columns, allNaN, constant };
}

const UNIT_BLOCK_ROWS = 256;

interface Units {
  countLike: boolean;
  centre: number;
  scale: number;
}

/** A feature's units: a quarter of features are count-like (log-normal, positive). */
function featureUnits(rng: Rng): Units {
  const countLike = rng.next() < 0.25;
  const centre = countLike ? Math.log(1 + 999 * rng.next()) : (rng.next() - 0.5) * 200;
  const scale = countLike ? 0.5 : 10 ** (3 * rng.next() - 1);
  return { countLike, centre, scale };
}

function fillUnits(
  column: Float32Array | Float64Array,
  latent: Float32Array,
  j: number,
  features: number,
  u: Units,
  start: number,
  end: number,
): void {
  for (let i = start, at = start * features + j; i < end; i++, at += features) {
    const v = u.centre + u.scale * latent[at]!;
    column[i] = u.countLike ? Math.exp(v) : v;
  }
}

/** Scattered missing cells across all columns, placed by geometric skips (one draw per NaN). */
function addNaNCells(columns: (Float32Array | Float64Array)[], rows: number, rng: Rng): void {
  const total = rows * columns.length;
  for (let at = skip(rng, SHAPE.nanRate); at < total; at += 1 + skip(rng, SHAPE.nanRate)) {
    columns[Math.floor(at / rows)]![at % rows] = Number.NaN;
  }
}
