import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../core/paths.ts";
import type { ReportData } from "./data.ts";
import { escapeHtml } from "./format.ts";
import { renderConfusion, renderPerClass, renderSummary } from "./metrics-sections.ts";
import { embedJson, toPayload } from "./payload.ts";
import { renderNotes, renderParams, renderProjection, renderScatter, renderStages } from "./run-sections.ts";
import { renderRuns } from "./runs-section.ts";

/** id of the <script type="application/json"> block that carries the data. */
export const REPORT_DATA_ID = "report-data";

/**
 * The page allows nothing from outside the document: a report opened from file:// must
 * neither fetch nor leak anything, and the browser enforces that for us.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/**
 * One self-contained HTML document for a fit: all CSS and JS are inlined, the data is
 * embedded as JSON, and nothing is loaded from the network. Same data, same bytes.
 */
export function renderReport(data: ReportData): string {
  const assets = readPageAssets();
  const title = escapeHtml(data.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<title>${title}</title>
<style>
${assets.css}
</style>
</head>
<body>
<header class="page-header">
<h1>${title}</h1>
<p class="muted">${provenance(data)}</p>
</header>
<main class="grid">
${data.metrics ? renderSummary(data.metrics) : ""}
${renderNotes(data.notes)}
<div class="column">
${renderScatter(data)}
${renderStages(data.stages, data.runId)}
${renderParams(data.params, data.seed, data.drawn)}
</div>
<div class="column">
${data.metrics ? `${renderConfusion(data.metrics)}\n${renderPerClass(data.metrics)}` : ""}
${data.projection ? renderProjection(data.projection) : ""}
</div>
${renderRuns(data.runs)}
</main>
<script type="application/json" id="${REPORT_DATA_ID}">${embedJson(toPayload(data))}</script>
<script>
${assets.js}
</script>
</body>
</html>
`;
}

/** Where the page's data came from: the fit file, which run it draws, and the seed. */
function provenance(data: ReportData): string {
  return `from <strong>${escapeHtml(data.generatedFrom)}</strong> · ${escapeHtml(data.drawn)} · seed ${escapeHtml(String(data.seed))}`;
}

interface PageAssets {
  css: string;
  js: string;
}

let assetsMemo: PageAssets | undefined;

/**
 * The page's own stylesheet and script. They are plain CSS and ES2020 files kept as they are
 * (tsc does not touch them), read from the package's source tree, which exists both when
 * running from TypeScript sources and from the built dist/.
 */
function readPageAssets(): PageAssets {
  if (assetsMemo) return assetsMemo;
  const dir = join(packageRoot(), "src", "report", "page");
  const css = readFileSync(join(dir, "report.css"), "utf8");
  // a literal "</script" inside the inlined script would end the element early
  const js = ["report.js", "runs.js"]
    .map((file) => readFileSync(join(dir, file), "utf8"))
    .join("\n")
    .replace(/<\/script/gi, "<\\/script");
  assetsMemo = { css, js };
  return assetsMemo;
}
