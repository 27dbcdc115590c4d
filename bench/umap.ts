/**
 * Benchmark piece: the whole `project.method: umap` projection on the demo data.
 *
 *   node dist/bench/umap.js --data DIR --out FILE.json [--stock-rows N] [--export-raw DIR2]
 *
 * Standardizes the demo features (untimed: the project stage receives them standardized),
 * fits supervised UMAP (n_neighbors 30, min_dist 0.1, target weight 0.5) on a seeded 20k
 * sample and places every other row; records seconds, peak RSS and the label-agreement
 * measure (10 nearest fitted points in 3-D, majority label) for 5,000 fitted and 5,000 placed
 * rows, and the same measure in the 224-D feature space (about the best a placement from
 * feature-space neighbours can do). Then the stock umap-js path (its NN-descent, its transform) on a --stock-rows subset
 * (default 8,000 fit + 2,000 transformed; 0 skips it), with a linear extrapolation to the full
 * size. --export-raw writes the standardized matrix, phases and fit rows for the Python peer.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import umapJs from "umap-js";
import { createRng } from "../src/core/rng.ts";
import { readDemoWindows } from "./demo-windows.ts";
import { fitLda } from "../src/numeric/lda.ts";
import { applyLinearMap } from "../src/numeric/linear-map.ts";
import { standardize } from "../src/numeric/standardize.ts";
import { projectUmap } from "../src/umap/index.ts";
import { knnSearch } from "../src/knn/index.ts";
import { labelAgreement } from "../src/umap/quality.ts";

const SEED = 0;
const FIT_ROWS = 20_000;
const QUALITY_SAMPLE = 5_000;

const { values } = parseArgs({
  options: { data: { type: "string" }, out: { type: "string" }, "stock-rows": { type: "string" }, "export-raw": { type: "string" } },
});
if (!values.data) throw new Error("bench/umap: --data DIR is required");

interface Standardized {
  rows: number;
  cols: number;
  data: Float32Array;
  phase: Int8Array;
}

async function loadStandardized(dir: string): Promise<Standardized> {
  const { features, phase } = await readDemoWindows(dir);
  const z = standardize(features.data, features.rows, features.cols);
  return { rows: features.rows, cols: z.kept.length, data: z.data, phase };
}

function outsideRows(rows: number, fitRows: Int32Array): Int32Array {
  const inFit = new Uint8Array(rows);
  for (const row of fitRows) inFit[row] = 1;
  return Int32Array.from({ length: rows }, (_, i) => i).filter((i) => inFit[i] === 0);
}

function sampleOf(ids: Int32Array, count: number, seed: number): Int32Array {
  return createRng(seed)
    .sample(ids.length, count)
    .map((i) => ids[i]!);
}

async function ours(z: Standardized, fitRows: Int32Array): Promise<Record<string, unknown>> {
  const start = performance.now();
  // seconds spent per phase, from the progress details ("umap neighbours", "umap fit epoch", "umap transform")
  const phases: Record<string, number> = {};
  let last = start;
  const result = await projectUmap({ rows: z.rows, cols: z.cols, data: z.data }, z.phase, fitRows, {
    seed: SEED,
    nNeighbors: 30,
    minDist: 0.1,
    targetWeight: 0.5,
    threads: 2,
    signal: new AbortController().signal,
    progress: (_, detail = "") => {
      const now = performance.now();
      const phase = detail.split(" ").slice(0, 2).join(" ");
      phases[phase] = (phases[phase] ?? 0) + (now - last) / 1000;
      last = now;
    },
  });
  const seconds = (performance.now() - start) / 1000;
  const held = outsideRows(z.rows, fitRows);
  return {
    seconds,
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
    phase_seconds: phases,
    fit_rows: fitRows.length,
    transformed_rows: held.length,
    agreement_fit: labelAgreement(result.coords, z.phase, fitRows, sampleOf(fitRows, QUALITY_SAMPLE, 1)),
    agreement_held: labelAgreement(result.coords, z.phase, fitRows, sampleOf(held, QUALITY_SAMPLE, 2)),
    info: result.info,
  };
}

/** Stock umap-js (NN-descent, Map graphs, its own transform search) on a subset. */
function stock(z: Standardized, fitRows: Int32Array, fitCount: number): Record<string, unknown> {
  const fitSubset = sampleOf(fitRows, fitCount, 3);
  const outside = outsideRows(z.rows, fitRows);
  const placeSubset = sampleOf(outside, Math.min(outside.length, Math.floor(fitCount / 4)), 4);
  const vectors = (ids: Int32Array) => Array.from(ids, (r) => Array.from(z.data.subarray(r * z.cols, (r + 1) * z.cols)));
  const rng = createRng(SEED);
  const umap = new umapJs.UMAP({ nComponents: 3, nNeighbors: 30, minDist: 0.1, random: () => rng.next() });
  umap.setSupervisedProjection(
    Array.from(fitSubset, (r) => z.phase[r]!),
    { targetMetric: "categorical" as never, targetWeight: 0.5 },
  );
  let start = performance.now();
  const embedding = umap.fit(vectors(fitSubset));
  const fitSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  // never a batch the size of the fit: umap-js would move the fitted points (moveOther)
  const placed = placeSubset.length > 0 ? umap.transform(vectors(placeSubset)) : [];
  const transformSeconds = (performance.now() - start) / 1000;
  const coords = new Float32Array(z.rows * 3);
  fitSubset.forEach((r, i) => coords.set(embedding[i]!, r * 3));
  placeSubset.forEach((r, i) => coords.set(placed[i]!, r * 3));
  const transformed = z.rows - fitRows.length;
  return {
    fit_rows: fitCount,
    fit_seconds: fitSeconds,
    transform_rows: placeSubset.length,
    transform_ms_per_row: placeSubset.length > 0 ? (transformSeconds * 1000) / placeSubset.length : null,
    agreement_fit: labelAgreement(coords, z.phase, fitSubset, fitSubset),
    agreement_held: labelAgreement(coords, z.phase, fitSubset, placeSubset),
    extrapolated_seconds:
      fitSeconds * (fitRows.length / fitCount) + (placeSubset.length > 0 ? (transformSeconds / placeSubset.length) * transformed : 0),
    extrapolation: "fit time scaled linearly to the fit size, transform time per row times the rows to place",
  };
}

/** The same measure for the default projector (LDA fitted on the same rows), as the baseline. */
function ldaBaseline(z: Standardized, fitRows: Int32Array): Record<string, number> {
  const coords = applyLinearMap(z.data, z.rows, fitLda(z.data, z.rows, z.cols, fitRows, z.phase, 3));
  const held = outsideRows(z.rows, fitRows);
  return {
    agreement_fit: labelAgreement(coords, z.phase, fitRows, sampleOf(fitRows, QUALITY_SAMPLE, 1)),
    agreement_held: labelAgreement(coords, z.phase, fitRows, sampleOf(held, QUALITY_SAMPLE, 2)),
  };
}

/**
 * The same majority measure taken in the 224-D feature space instead of 3-D: the share of
 * held-out rows whose 10 nearest fit rows by feature distance carry their label. UMAP's
 * transform places a row among its feature-space neighbours' embeddings, so it can hardly score
 * more than this (a linear map such as LDA is not bound by it).
 */
async function featureSpaceAgreement(z: Standardized, fitRows: Int32Array): Promise<number> {
  const queries = sampleOf(outsideRows(z.rows, fitRows), QUALITY_SAMPLE, 2);
  const [neighbours] = await knnSearch({ data: z.data, dims: z.cols, groups: [fitRows], queries, k: 10, threads: 2 });
  let agree = 0;
  const votes = new Int32Array(256);
  queries.forEach((query, q) => {
    votes.fill(0);
    for (const row of neighbours!.indices.subarray(q * 10, q * 10 + 10)) votes[z.phase[row]! + 128]!++;
    const own = z.phase[query]! + 128;
    if (votes.every((count, label) => label === own || count < votes[own]!)) agree++;
  });
  return agree / queries.length;
}

async function exportRaw(z: Standardized, fitRows: Int32Array, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "features.f32"), new Uint8Array(z.data.buffer, z.data.byteOffset, z.data.byteLength));
  await writeFile(join(dir, "phase.i8"), new Uint8Array(z.phase.buffer));
  await writeFile(join(dir, "fit_rows.i32"), new Uint8Array(fitRows.buffer));
  await writeFile(join(dir, "shape.json"), JSON.stringify({ rows: z.rows, cols: z.cols }));
}

const z = await loadStandardized(values.data);
const fitRows = createRng(SEED).sample(z.rows, Math.min(FIT_ROWS, z.rows));
if (values["export-raw"]) {
  await exportRaw(z, fitRows, values["export-raw"]);
} else {
  const result: Record<string, unknown> = {
    rows: z.rows,
    cols: z.cols,
    ours: await ours(z, fitRows),
    lda: ldaBaseline(z, fitRows),
    feature_space: { agreement_held: await featureSpaceAgreement(z, fitRows) },
  };
  const stockRows = Number(values["stock-rows"] ?? 8000);
  if (stockRows > 0) result.stock_umap_js = stock(z, fitRows, Math.min(stockRows, fitRows.length));
  const text = `${JSON.stringify(result, null, 2)}\n`;
  if (values.out) await writeFile(values.out, text);
  else process.stdout.write(text);
}
