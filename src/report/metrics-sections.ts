import type { ReportMetrics } from "./data.ts";
import { escapeHtml, formatCount, formatMs, formatScore } from "./format.ts";

/** The headline numbers: macro F1, both latencies and the split sizes. */
export function renderSummary(m: ReportMetrics): string {
  const tiles = [
    tile("macro F1", formatScore(m.macro_f1), `${escapeHtml(m.split)} split, k = ${m.k}`),
    tile("one window", formatMs(m.latency.single_window_ms), "latency of a single prediction"),
    tile("batch of 64", formatMs(m.latency.batch64_per_window_ms), "latency per window"),
    tile("train rows", formatCount(m.n_train), `${formatCount(m.latency.train_rows)} searched per query`),
    tile("test rows", formatCount(m.n_test), "scored below"),
  ];
  return `<section class="card summary" aria-label="summary">${tiles.join("")}</section>`;
}

function tile(label: string, value: string, note: string): string {
  return (
    `<div class="tile"><div class="tile-label">${escapeHtml(label)}</div>` +
    `<div class="tile-value">${escapeHtml(value)}</div><div class="tile-note">${note}</div></div>`
  );
}

/**
 * The confusion matrix as a heat map: each cell's shade is its share of the true row, so
 * rare phases read as clearly as common ones; the count is printed in every cell.
 */
export function renderConfusion(metrics: ReportMetrics): string {
  const { labels, matrix } = metrics.confusion;
  const head = labels.map((label) => `<th scope="col" class="cm-col"><span>${escapeHtml(label)}</span></th>`).join("");
  const body = matrix.map((row, i) => renderConfusionRow(labels[i] ?? String(i), row, i)).join("");
  const corner = `<th scope="col" class="cm-corner">true \\ predicted</th>`;
  const totalHead = `<th scope="col" class="cm-col"><span>total</span></th>`;
  return `<section class="card" id="confusion">
<h2>Confusion matrix</h2>
<p class="note">rows: true phase · columns: predicted · shade: share of the row · ${formatCount(metrics.n_test)} test rows</p>
<div class="scroll-x"><table class="cm">
<thead><tr>${corner}${head}${totalHead}</tr></thead>
<tbody>${body}</tbody>
</table></div>
</section>`;
}

function renderConfusionRow(label: string, row: number[], rowIndex: number): string {
  const total = row.reduce((sum, count) => sum + count, 0);
  const cells = row.map((count, j) => {
    const share = total > 0 ? count / total : 0;
    const kind = j === rowIndex ? "cm-hit" : "cm-miss";
    // light text only on dark shades, so every count stays legible
    const ink = share > 0.55 ? " cm-dark" : "";
    const style = `background:${cellColour(j === rowIndex, share)}`;
    const title = `${escapeHtml(label)}: ${count} of ${total}`;
    return `<td class="cm-cell ${kind}${ink}" style="${style}" data-count="${count}" title="${title}">${count}</td>`;
  });
  // a break opportunity after "_" lets long phase names wrap on a phone
  const rowLabel = escapeHtml(label).replace(/_/g, "_<wbr>");
  return `<tr><th scope="row">${rowLabel}</th>${cells.join("")}<td class="cm-total">${total}</td></tr>`;
}

/** Blue for correct predictions, orange for mistakes; alpha grows with the row share. */
function cellColour(isHit: boolean, share: number): string {
  const rgb = isHit ? "37, 99, 235" : "234, 88, 12";
  const alpha = share > 0 ? 0.08 + 0.87 * share : 0;
  return `rgba(${rgb}, ${alpha.toFixed(3)})`;
}

/** Precision, recall and F1 per phase as horizontal bars, with the support of each. */
export function renderPerClass(metrics: ReportMetrics): string {
  const rows = metrics.per_class.map((c) => {
    const bars = [bar("precision", c.precision), bar("recall", c.recall), bar("F1", c.f1)].join("");
    const name = `${escapeHtml(c.phase)} <span class="muted">n = ${formatCount(c.support)}</span>`;
    return `<div class="pc-row"><div class="pc-name">${name}</div>${bars}</div>`;
  });
  return `<section class="card" id="per-class">
<h2>Per-phase scores</h2>
<p class="note">macro F1 ${formatScore(metrics.macro_f1)} is the mean of the F1 bars</p>
${rows.join("\n")}
</section>`;
}

function bar(label: string, value: number): string {
  const width = Number.isFinite(value) ? Math.max(0, Math.min(1, value)) * 100 : 0;
  const cls = label === "F1" ? "f1" : label;
  const track = `<span class="track"><span class="fill" style="width:${width.toFixed(1)}%"></span></span>`;
  const score = `<span class="pc-value">${formatScore(value)}</span>`;
  return `<div class="pc-bar pc-${cls}"><span class="pc-label">${label}</span>${track}${score}</div>`;
}
