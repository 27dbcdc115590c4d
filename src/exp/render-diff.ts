import type { RunLog } from "../engine/run-log.ts";
import type { MetricsDiffRow, ParamsDiffRow } from "./diff.ts";
import { formatValue } from "./format.ts";
import { renderMarkdown, renderText, type Grid } from "./grid.ts";
import { runLabel } from "./resolve.ts";

/** What a diff compared and found; params or metrics absent when the command did not ask. */
export interface DiffReport {
  a: RunLog;
  b: RunLog;
  params?: ParamsDiffRow[];
  metrics?: MetricsDiffRow[];
}

export type DiffFormat = "text" | "md" | "json";

export function renderDiff(report: DiffReport, format: DiffFormat): string {
  if (format === "json") {
    return JSON.stringify({
      a: { id: report.a.id, name: report.a.name ?? null },
      b: { id: report.b.id, name: report.b.name ?? null },
      ...(report.params ? { params: report.params } : {}),
      ...(report.metrics ? { metrics: report.metrics } : {}),
    });
  }
  const draw = format === "md" ? renderMarkdown : renderText;
  const heading = format === "md" ? (title: string) => `### ${title}\n` : (title: string) => `${title}:\n`;
  const both = report.params !== undefined && report.metrics !== undefined;
  const parts = [
    format === "md"
      ? `old: \`${runLabel(report.a)}\`, new: \`${runLabel(report.b)}\``
      : `old: ${runLabel(report.a)}\nnew: ${runLabel(report.b)}`,
  ];
  if (report.params) {
    const body = report.params.length === 0 ? "no parameter differs" : draw(paramsGrid(report.params));
    parts.push(both ? `${heading("Params")}${body}` : body);
  }
  if (report.metrics) {
    const body = report.metrics.length === 0 ? "no metric differs" : draw(metricsGrid(report.metrics));
    parts.push(both ? `${heading("Metrics")}${body}` : body);
  }
  return parts.join("\n\n");
}

export function paramsGrid(rows: readonly ParamsDiffRow[]): Grid {
  return {
    header: ["path", "param", "old", "new"],
    rows: rows.map((r) => [r.path, r.name, formatValue(r.old), formatValue(r.new)]),
  };
}

export function metricsGrid(rows: readonly MetricsDiffRow[]): Grid {
  return {
    header: ["path", "metric", "old", "new", "change"],
    rows: rows.map((r) => [r.path, r.name, formatValue(r.old), formatValue(r.new), _change(r.change)]),
    right: [false, false, true, true, true],
  };
}

function _change(change: number | null): string {
  if (change === null) return formatValue(null);
  return change > 0 ? `+${formatValue(change)}` : formatValue(change);
}
