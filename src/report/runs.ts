import { canonicalJson } from "../core/hash.ts";
import { tableToJson, type ExpRowJson } from "../exp/render-table.ts";
import type { ExpTable } from "../exp/table.ts";

/** How a chart lays out one swept parameter: numbers on a numeric axis, anything else as categories. */
export interface RunAxis {
  /** the parameter column, `STAGE.PARAM` or `seed` */
  param: string;
  kind: "numeric" | "category";
  /** category: the axis labels in axis order; numeric: empty */
  categories: string[];
}

/** One run of the runs page: exp show's JSON row, plus where it sits on each axis. */
export interface RunPoint extends ExpRowJson {
  /** param column -> x: the value itself (numeric axis) or its index in `categories`; absent when the run lacks it */
  x: Record<string, number>;
}

/** What the runs section shows: the exp table, and one chart per swept parameter of the chosen metric. */
export interface RunsView {
  paramColumns: string[];
  metricColumns: string[];
  /** the metric the charts show first */
  metric: string | undefined;
  axes: RunAxis[];
  /** newest first, as exp show lists them */
  runs: RunPoint[];
  /** id of the run the rest of the page draws, when a recorded run made exactly its results */
  current: string | undefined;
}

export interface RunsViewOptions {
  /** `STAGE.METRIC` columns to prefer as the first metric, in order (the stages' headline metrics) */
  preferred?: readonly string[];
  current?: string | undefined;
}

/**
 * The runs page's data from an exp table built without `allParams`, so its parameter columns are
 * exactly those that vary between the runs: each becomes an axis.
 */
export function buildRunsView(table: ExpTable, options: RunsViewOptions = {}): RunsView {
  const rows = tableToJson(table);
  // the table's own rows tell a missing parameter (undefined) from a null one; its JSON does not
  const axes = table.paramColumns.map((param) =>
    axisOf(
      param,
      table.rows.map((row) => row.params.get(param)),
    ),
  );
  const runs = rows.map((row, i) => ({ ...row, x: _positions(table.rows[i]!.params, axes) }));
  const metric = (options.preferred ?? []).find((m) => table.metricColumns.includes(m)) ?? table.metricColumns[0];
  const current = rows.some((row) => row.id === options.current) ? options.current : undefined;
  return { paramColumns: table.paramColumns, metricColumns: table.metricColumns, metric, axes, runs, current };
}

/**
 * Numeric when every run that has the parameter holds a finite number; otherwise categories,
 * labelled by categoryLabel and sorted (numbers before text, numbers by value).
 */
export function axisOf(param: string, values: readonly unknown[]): RunAxis {
  const present = values.filter((v) => v !== undefined); // undefined: the run lacks the parameter
  if (present.length > 0 && present.every((v) => typeof v === "number" && Number.isFinite(v))) {
    return { param, kind: "numeric", categories: [] };
  }
  const labels = [...new Set(present.map(categoryLabel))];
  const asNumber = (label: string) => (label.trim() !== "" && Number.isFinite(Number(label)) ? Number(label) : undefined);
  labels.sort((a, b) => {
    const na = asNumber(a),
      nb = asNumber(b);
    if (na !== undefined && nb !== undefined) return na - nb;
    if (na !== undefined || nb !== undefined) return na !== undefined ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return { param, kind: "category", categories: labels };
}

/** A parameter value as an axis label: strings as they are, numbers as JS spells them, anything else as canonical JSON (null -> "null"). */
export function categoryLabel(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value); // NaN too, which canonicalJson refuses
  return canonicalJson(value ?? null);
}

function _positions(params: ReadonlyMap<string, unknown>, axes: readonly RunAxis[]): Record<string, number> {
  const x: Record<string, number> = {};
  for (const axis of axes) {
    if (!params.has(axis.param)) continue;
    const value = params.get(axis.param);
    x[axis.param] = axis.kind === "numeric" ? (value as number) : axis.categories.indexOf(categoryLabel(value));
  }
  return x;
}
