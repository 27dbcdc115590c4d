import type { ReportData, ReportStage } from "./data.ts";
import { cssToken, escapeHtml, formatMs, formatValue } from "./format.ts";

/** The 3-D scatter's frame; the page script draws into the canvas and fills the legend. */
export function renderScatter(data: ReportData): string {
  const count = data.points.x.length;
  const modes = [
    ["phase", "true phase"],
    ["predicted", "predicted"],
    ["cluster", "cluster"],
  ] as const;
  const buttons = modes
    .map(([mode, label], i) => `<button type="button" data-color-by="${mode}" aria-pressed="${i === 0}">${label}</button>`)
    .join("");
  const toolbar =
    `<div class="toolbar"><div class="segmented" role="group" aria-label="colour points by">${buttons}</div>` +
    `<button type="button" class="plain" data-action="reset-view">reset view</button></div>`;
  const canvasLabel = `3-D scatter of ${count} points; drag to rotate, wheel or pinch to zoom, point or tap for a point's details`;
  const canvas =
    `<div class="canvas-wrap"><canvas id="scatter-canvas" aria-label="${canvasLabel}"></canvas>` +
    `<div class="scatter-tip" id="scatter-tip" role="status" hidden></div></div>`;
  const howTo = "drag to rotate · wheel or pinch to zoom · point at (or tap) a point for its details · faint points are training rows";
  return `<section class="card scatter-card" id="scatter">
<h2>3-D embedding</h2>
${toolbar}
${canvas}
<ul class="legend" id="scatter-legend"></ul>
<p class="note">${count} points · ${howTo}</p>
</section>`;
}

const STAGE_COLUMNS =
  '<th scope="col">stage</th><th scope="col">status</th><th scope="col" class="num">time</th>' +
  '<th scope="col" class="stage-bar"></th><th scope="col">key</th>';

/** The projector's diagnostics (its info json) as a key/value list. */
export function renderProjection(projection: Record<string, unknown>): string {
  return `<section class="card" id="projection">
<h2>Projection</h2>
${renderPairs(projection)}
</section>`;
}

/**
 * Stage timings of the run that made the drawn results (`runId`), each marked ran or cached, with
 * a bar scaled to the slowest. Without such a run, the stages as the cache holds them.
 */
export function renderStages(stages: ReportStage[], runId: string | undefined): string {
  const slowest = Math.max(1e-9, ...stages.map((s) => (Number.isFinite(s.ms) ? s.ms : 0)));
  const rows = stages.map((stage) => {
    const width = ((Number.isFinite(stage.ms) ? stage.ms : 0) / slowest) * 100;
    return `<tr><th scope="row">${escapeHtml(stage.name)}</th>
<td><span class="badge badge-${cssToken(stage.status)}">${escapeHtml(stage.status)}</span></td>
<td class="num">${formatMs(stage.ms)}</td>
<td class="stage-bar"><span class="track"><span class="fill" style="width:${width.toFixed(1)}%"></span></span></td>
<td><code title="${escapeHtml(stage.key)}">${escapeHtml(stage.key.slice(0, 10))}</code></td></tr>`;
  });
  const ran = stages.filter((s) => s.status === "ran").length;
  const cached = stages.filter((s) => s.status === "cached").length;
  const from =
    runId !== undefined
      ? `run <code>${escapeHtml(runId)}</code>`
      : "no recorded run made exactly these results; stages as the cache holds them";
  return `<section class="card" id="stages">
<h2>Run</h2>
<p class="note">${from} · ${ran} ran · ${cached} cached</p>
<div class="scroll-x"><table class="stages">
<thead><tr>${STAGE_COLUMNS}</tr></thead>
<tbody>${rows.join("")}</tbody>
</table></div>
</section>`;
}

/** What the page leaves out or chose, each with how to change it; nothing when it is complete. */
export function renderNotes(notes: readonly string[]): string {
  if (notes.length === 0) return "";
  const items = notes.map((note) => `<li>${escapeHtml(note)}</li>`).join("");
  return `<section class="card notes" id="notes" aria-label="not in this report">
<h2>Not in this report</h2>
<ul>${items}</ul>
</section>`;
}

/** Every stage's parsed params of the drawn configuration or run, and the global seed they ran with. */
export function renderParams(params: ReportData["params"], seed: number, drawn: string): string {
  const groups = Object.entries(params).map(
    ([stage, values]) => `<div class="param-group"><h3>${escapeHtml(stage)}</h3>${renderPairs(values)}</div>`,
  );
  return `<section class="card" id="params">
<h2>Parameters</h2>
<p class="note">of ${escapeHtml(drawn)} · seed <code>${escapeHtml(String(seed))}</code></p>
<div class="param-groups">${groups.join("")}</div>
</section>`;
}

function renderPairs(values: Record<string, unknown>): string {
  const entries = Object.entries(values);
  if (entries.length === 0) return `<p class="muted">none</p>`;
  const items = entries.map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(formatValue(value))}</dd>`);
  return `<dl class="pairs">${items.join("")}</dl>`;
}
