import { formatValue, formatWhen } from "../exp/format.ts";
import { YAML_MARK } from "../exp/render-table.ts";
import type { RunPoint, RunsView } from "./runs.ts";
import { escapeHtml } from "./format.ts";

/** How many metric columns the table shows before the rest are left to `pipeline exp show`. */
const TABLE_METRICS = 12;

/**
 * The runs section: a metric selector and a box the page script fills with one chart per swept
 * parameter, then the exp table (as `pipeline exp show` prints it, newest first).
 */
export function renderRuns(view: RunsView): string {
  return `<section class="card runs-card" id="runs">
<h2>Runs</h2>
<p class="note">${_summary(view)}</p>
${view.runs.length > 0 && view.metric !== undefined ? _controls(view) : ""}
${_table(view)}
</section>`;
}

function _summary(view: RunsView): string {
  const n = view.runs.length;
  if (n === 0) return "no run is recorded yet: <code>pipeline run</code> records one";
  const swept = view.axes.map((a) => `<code>${escapeHtml(a.param)}</code>`).join(", ");
  const varying =
    view.axes.length > 0
      ? `parameters that differ between them: ${swept}`
      : "all with the same parameters: a sweep such as <code>pipeline run --set STAGE.PARAM=V1,V2</code> adds runs to compare";
  return `${n} recorded run${n === 1 ? "" : "s"} · ${varying}`;
}

function _controls(view: RunsView): string {
  const options = view.metricColumns
    .map((m) => `<option value="${escapeHtml(m)}"${m === view.metric ? " selected" : ""}>${escapeHtml(m)}</option>`)
    .join("");
  return `<div class="toolbar"><label class="runs-metric">metric <select id="runs-metric">${options}</select></label></div>
<div class="run-charts" id="run-charts" aria-live="polite"></div>`;
}

function _table(view: RunsView): string {
  if (view.runs.length === 0) return "";
  const metrics = view.metricColumns.slice(0, TABLE_METRICS);
  const head = ["", "run", "name", "when", "status", ...view.paramColumns, ...metrics]
    .map((c) => `<th scope="col">${escapeHtml(c)}</th>`)
    .join("");
  const rows = view.runs.map((run) => _row(run, view, metrics)).join("");
  const more =
    view.metricColumns.length > metrics.length
      ? `<p class="note">${view.metricColumns.length - metrics.length} more metrics: <code>pipeline exp show</code> lists them all</p>`
      : "";
  const drawnMark = `<span class="drawn-mark">●</span>`;
  const marks = `${YAML_MARK} ran with pipeline.yaml's own parameters and seed · ${drawnMark} the run this page draws`;
  return `<div class="scroll-x"><table class="runs-table">
<thead><tr>${head}</tr></thead>
<tbody>${rows}</tbody>
</table></div>
<p class="note">${marks}</p>${more}`;
}

function _row(run: RunPoint, view: RunsView, metrics: readonly string[]): string {
  const drawn = run.id === view.current;
  const mark = `${run.config === "yaml" ? YAML_MARK : ""}${drawn ? ' <span class="drawn-mark" title="drawn on this page">●</span>' : ""}`;
  const cells = [
    `<td>${mark}</td>`,
    `<td><code title="${escapeHtml(run.id)}">${escapeHtml(run.id)}</code></td>`,
    `<td>${escapeHtml(run.name ?? "–")}</td>`,
    `<td class="when">${escapeHtml(formatWhen(run.started))}</td>`,
    `<td><span class="badge badge-${run.status === "ok" ? "cached" : "failed"}">${run.status}</span></td>`,
    ...view.paramColumns.map((c) => `<td>${escapeHtml(formatValue(run.params[c]))}</td>`),
    ...metrics.map((c) => `<td class="num">${escapeHtml(formatValue(run.metrics[c]))}</td>`),
  ];
  return `<tr${drawn ? ' class="drawn"' : ""} data-run="${escapeHtml(run.id)}">${cells.join("")}</tr>`;
}
