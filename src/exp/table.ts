import { canonicalJson } from "../core/hash.ts";
import { UsageError } from "../core/errors.ts";
import { didYouMeanTail } from "../core/suggest.ts";
import type { RunLog } from "../engine/run-log.ts";
import { metricValues, paramValues } from "./run-values.ts";
import { selectColumns } from "./columns.ts";

/** One run of the experiment table. Cells are keyed by column; a missing cell is absent. */
export interface ExpRow {
  id: string;
  name: string | undefined;
  started: string;
  ok: boolean;
  /** "yaml": ran with pipeline.yaml's own params and seed (as the yaml was then); undefined in older logs */
  config: "yaml" | "override" | undefined;
  variant: Record<string, unknown> | undefined;
  params: ReadonlyMap<string, unknown>;
  metrics: ReadonlyMap<string, number>;
}

export interface ExpTable {
  /** `seed` and `STAGE.PARAM`s: those that differ between the rows, or all with allParams */
  paramColumns: string[];
  /** every `STAGE.METRIC` any row has */
  metricColumns: string[];
  rows: ExpRow[];
}

export type SortOrder = "asc" | "desc";

export interface ExpTableOptions {
  /** show every parameter column, not only those whose values differ between the shown runs */
  allParams?: boolean;
  /** glob patterns of columns to show whatever `drop` says (only these, without `drop`); see columns.ts */
  keep?: readonly string[];
  /** glob patterns of parameter and metric columns to hide */
  drop?: readonly string[];
  /** a parameter or metric column (or a unique suffix of one after a dot, like `macro_f1`) */
  sortBy?: string;
  /** ascending unless "desc" (as DVC's --sort-order); runs without the value come last either way */
  sortOrder?: SortOrder;
  /** keep only the newest N runs (after filter, before sorting) */
  limit?: number;
  filter?: (log: RunLog) => boolean;
}

/** Newest first: by start time, then id (ids sort by time too). */
export function newestFirst(logs: readonly RunLog[]): RunLog[] {
  return [...logs].sort((a, b) => _compareText(b.started, a.started) || _compareText(b.id, a.id));
}

/** The experiment table of `logs`, as `pipeline exp show` prints it. */
export function buildExpTable(logs: readonly RunLog[], options: ExpTableOptions = {}): ExpTable {
  let shown = newestFirst(options.filter ? logs.filter(options.filter) : logs);
  if (options.limit !== undefined) shown = shown.slice(0, Math.max(0, options.limit));

  const params = shown.map((log) => paramValues(log));
  const metrics = shown.map((log) => metricValues(log));
  const allParamColumns = _columnsInOrder(params);
  const allMetricColumns = _columnsInOrder(metrics);
  const paramCells = params.map((values) => new Map(values.map((v) => [v.column, v.value])));
  const select = selectColumns(options.keep ?? [], options.drop ?? [], [...allParamColumns, ...allMetricColumns]);
  const paramColumns = allParamColumns.filter((c) => select.shows(c) && (options.allParams || select.kept(c) || _differs(paramCells, c)));
  const metricColumns = allMetricColumns.filter(select.shows);

  let rows: ExpRow[] = shown.map((log, i) => ({
    id: log.id,
    name: log.name,
    started: log.started,
    ok: log.ok,
    config: log.config,
    variant: log.variant,
    params: _pick(paramCells[i]!, paramColumns),
    metrics: new Map(metrics[i]!.map((v) => [v.column, v.value as number])),
  }));
  if (options.sortBy !== undefined) {
    const column = resolveColumn(options.sortBy, allParamColumns, allMetricColumns); // a hidden column sorts too
    const sign = options.sortOrder === "desc" ? -1 : 1;
    const keyed = rows.map((row, i) => ({
      row,
      value: column.kind === "param" ? paramCells[i]!.get(column.name) : row.metrics.get(column.name),
    }));
    keyed.sort((a, b) => _compareCells(a.value, b.value, sign)); // stable: ties stay newest first
    rows = keyed.map((k) => k.row);
  }
  return { paramColumns, metricColumns, rows };
}

/**
 * `--sort-by`: an exact column, else the one column ending in `.NAME`. Unknown or ambiguous is a
 * usage error that lists the columns.
 */
export function resolveColumn(
  wanted: string,
  paramColumns: readonly string[],
  metricColumns: readonly string[],
): { kind: "param" | "metric"; name: string } {
  const all = [
    ...paramColumns.map((name) => ({ kind: "param" as const, name })),
    ...metricColumns.map((name) => ({ kind: "metric" as const, name })),
  ];
  const exact = all.find((c) => c.name === wanted);
  if (exact) return exact;
  const bySuffix = all.filter((c) => c.name.endsWith(`.${wanted}`));
  if (bySuffix.length === 1) return bySuffix[0]!;
  const listed = (bySuffix.length > 1 ? bySuffix : all).map((c) => c.name).join(", ");
  throw new UsageError(
    bySuffix.length > 1 ? `--sort-by ${wanted} is ambiguous: ${listed}` : `--sort-by ${wanted}: no such column${_nearColumn(wanted, all)}`,
    all.length === 0 ? "no run has recorded parameters or metrics yet" : `columns: ${listed}`,
  );
}

/** `; did you mean evaluate.macro_f1?` against the full names and their last part (`macro_f1`). */
function _nearColumn(wanted: string, columns: readonly { name: string }[]): string {
  const byTyped = new Map<string, string>();
  for (const { name } of columns) {
    byTyped.set(name, name);
    byTyped.set(name.slice(name.lastIndexOf(".") + 1), name);
  }
  return didYouMeanTail(wanted, byTyped.keys(), (near) => byTyped.get(near)!);
}

/** Column names in first-seen order over the rows (each row lists its own in stage order). */
function _columnsInOrder(rows: readonly { column: string }[][]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const value of row) seen.add(value.column);
  return [...seen];
}

/** Does `column` hold more than one value over the rows (absent counts as a value)? */
function _differs(rows: readonly Map<string, unknown>[], column: string): boolean {
  const first = rows[0];
  if (!first) return false;
  const spelling = (row: Map<string, unknown>) => (row.has(column) ? canonicalJson(row.get(column)) : undefined);
  const expected = spelling(first);
  return rows.some((row) => spelling(row) !== expected);
}

function _pick(cells: Map<string, unknown>, columns: readonly string[]): Map<string, unknown> {
  const picked = new Map<string, unknown>();
  for (const column of columns) if (cells.has(column)) picked.set(column, cells.get(column));
  return picked;
}

/** Numbers numerically, anything else by its canonical JSON; missing values last in both orders. */
function _compareCells(a: unknown, b: unknown, sign: number): number {
  if (a === undefined || b === undefined) return a === undefined ? (b === undefined ? 0 : 1) : -1;
  if (typeof a === "number" && typeof b === "number") return sign * (a - b);
  if (typeof a === "number" || typeof b === "number") return typeof a === "number" ? -1 : 1; // numbers before text
  return sign * _compareText(canonicalJson(a), canonicalJson(b));
}

function _compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
