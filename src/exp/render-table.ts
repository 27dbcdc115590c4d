import { exactValue, formatValue, formatWhen, MISSING } from "./format.ts";
import { renderCsv, renderMarkdown, renderText, type Grid } from "./grid.ts";
import type { ExpRow, ExpTable } from "./table.ts";

/** The mark of a run made with pipeline.yaml's own configuration (no --set). */
export const YAML_MARK = "*";
export const YAML_LEGEND = `${YAML_MARK} ran with pipeline.yaml's own parameters and seed (no --set)`;

/** `--json`: one object per row; every shown column is a key of its map, null when the run has no value. */
export interface ExpRowJson {
  id: string;
  name: string | null;
  started: string;
  status: "ok" | "failed";
  config: "yaml" | "override" | null;
  variant: Record<string, unknown> | null;
  params: Record<string, unknown>;
  metrics: Record<string, number | null>;
}

export function tableToJson(table: ExpTable): ExpRowJson[] {
  return table.rows.map((row) => ({
    id: row.id,
    name: row.name ?? null,
    started: row.started,
    status: _status(row),
    config: row.config ?? null,
    variant: row.variant ?? null,
    params: Object.fromEntries(table.paramColumns.map((c) => [c, row.params.has(c) ? row.params.get(c) : null])),
    metrics: Object.fromEntries(table.metricColumns.map((c) => [c, row.metrics.get(c) ?? null])),
  }));
}

export function renderTableJson(table: ExpTable): string {
  return JSON.stringify(tableToJson(table));
}

/** Aligned columns for a terminal, numbers to 4 significant decimals, with the yaml legend. */
export function renderTableText(table: ExpTable): string {
  const text = renderText(_grid(table, formatValue, true));
  return table.rows.some((r) => r.config === "yaml") ? `${text}\n\n${YAML_LEGEND}` : text;
}

export function renderTableMarkdown(table: ExpTable): string {
  return renderMarkdown(_grid(table, formatValue, true));
}

/** Full precision; `config` spelled out instead of the mark; empty cells for missing values. */
export function renderTableCsv(table: ExpTable): string {
  return renderCsv(_grid(table, exactValue, false));
}

function _grid(table: ExpTable, cell: (value: unknown) => string, forPeople: boolean): Grid {
  const fixed = forPeople ? ["", "run", "name", "when", "status"] : ["id", "name", "started", "status", "config"];
  const header = [...fixed, ...table.paramColumns, ...table.metricColumns];
  const numeric = (c: string) => table.rows.every((row) => !row.params.has(c) || typeof row.params.get(c) === "number");
  const right = [...fixed.map(() => false), ...table.paramColumns.map(numeric), ...table.metricColumns.map(() => true)];
  const rows = table.rows.map((row) => [
    ...(forPeople
      ? [row.config === "yaml" ? YAML_MARK : "", row.id, row.name ?? MISSING, formatWhen(row.started), _status(row)]
      : [row.id, row.name ?? "", row.started, _status(row), row.config ?? ""]),
    ...table.paramColumns.map((c) => cell(row.params.get(c))),
    ...table.metricColumns.map((c) => cell(row.metrics.get(c))),
  ]);
  return { header, rows, right };
}

function _status(row: ExpRow): "ok" | "failed" {
  return row.ok ? "ok" : "failed";
}
