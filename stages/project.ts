import { z } from "zod";
import { type Json, type Matrix, type Table, matrix } from "../src/core/artifact.ts";
import { InputError } from "../src/core/errors.ts";
import type { Rng } from "../src/core/rng.ts";
import { numbersByIndex } from "../src/core/metric-values.ts";
import { defineStage, slot } from "../src/core/stage.ts";
import { applyLinearMap } from "../src/numeric/linear-map.ts";
import { fitRange, rescaleClip } from "../src/numeric/rescale.ts";

/** The seed caps umap's fit sample lower: its cost grows faster than linearly. */
const UMAP_MAX_FIT_ROWS = 20_000;
const DIMS = 3;

export default defineStage({
  name: "project",
  version: "2", // 2: scatter matrices in a wasm SIMD kernel: float64 sums in another order, they differ in the last bits
  summary: "project standardized features to 3-D (pca, lda or supervised umap), rescaled to [0, 1]",
  params: z.strictObject({
    method: z
      .enum(["pca", "lda", "umap"])
      .default("lda")
      .describe("pca (unsupervised), lda (Fisher discriminant on phase) or umap (supervised, slow)"),
    sample_for_fit: z
      .number()
      .int()
      .min(1)
      .default(50_000)
      .describe("fit the projector on a seeded random sample of at most this many rows (umap: at most 20000)"),
  }),
  inputs: {
    features: slot.matrix("standardized features, one row per window"),
    meta: slot.table("per-window phase codes (Int8) used as labels by lda and umap"),
  },
  outputs: {
    xyz: slot.matrix("n x 3 coordinates, each axis rescaled to [0, 1] by the fit sample's range and clipped", { finite: true }),
    info: slot.json("method, fit_rows and the explained variance ratios (pca) or between-class ratios (lda)", {
      fields: ["method", "fit_rows", "lo", "span"],
      metrics: (info) => {
        const { explained_variance_ratio: pca, explained_class_variance: lda } = info as Record<string, unknown>;
        return numbersByIndex(pca ?? lda, "explained");
      },
    }),
  },
  async run({ params, inputs, rng, seed, threads, signal, progress }) {
    const { features } = inputs;
    if (features.rows === 0) throw new InputError("project: the feature matrix has no rows", "check load.max_rows and the window parquet");
    const cap = params.method === "umap" ? Math.min(params.sample_for_fit, UMAP_MAX_FIT_ROWS) : params.sample_for_fit;
    const fitRows = sampleRows(rng.fork("fit-sample"), features.rows, cap);
    const { coords, info } =
      params.method === "pca"
        ? await linearPca(features, fitRows)
        : params.method === "lda"
          ? await linearLda(features, phaseColumn(inputs.meta, features.rows), fitRows)
          : await umap(features, phaseColumn(inputs.meta, features.rows), fitRows, { seed, threads, signal, progress });
    const range = fitRange(coords, DIMS, fitRows);
    progress(1);
    return {
      xyz: matrix(features.rows, DIMS, rescaleClip(coords, DIMS, range)),
      info: { method: params.method, fit_rows: fitRows.length, ...info, lo: range.lo, span: range.span },
    };
  },
});

interface Projected {
  coords: Float32Array;
  info: { [key: string]: Json };
}

// NOTE: each method's code is imported when it is chosen (ml-matrix, umap-js), so listing the
// stages (every CLI call does) stays cheap. ".js": tsc does not rewrite an import() leaving this folder.
async function linearPca(features: Matrix, fitRows: Int32Array): Promise<Projected> {
  const { fitPca } = await import("../src/numeric/pca.js");
  const fit = fitPca(features.data, features.rows, features.cols, fitRows, DIMS);
  return {
    coords: applyLinearMap(features.data, features.rows, fit),
    info: { explained_variance_ratio: fit.explainedVarianceRatio },
  };
}

async function linearLda(features: Matrix, phase: Int8Array, fitRows: Int32Array): Promise<Projected> {
  const { fitLda } = await import("../src/numeric/lda.js");
  const fit = fitLda(features.data, features.rows, features.cols, fitRows, phase, DIMS);
  if (fit.classes.length < 2) {
    throw new InputError(
      `project: lda needs at least two phases in its ${fitRows.length}-row fit sample, found only phase ${fit.classes.join(", ")}`,
      "use project.method=pca (--set project.method=pca), or include windows of more than one phase",
    );
  }
  return {
    coords: applyLinearMap(features.data, features.rows, fit),
    info: { explained_class_variance: fit.explainedVarianceRatio, classes: fit.classes, components: fit.components },
  };
}

async function umap(
  features: Matrix,
  phase: Int8Array,
  fitRows: Int32Array,
  context: { seed: number; threads: number; signal: AbortSignal; progress(fraction: number, detail?: string): void },
): Promise<Projected> {
  const { projectUmap } = await import("../src/umap/index.js");
  const result = await projectUmap(features, phase, fitRows, {
    seed: context.seed,
    nNeighbors: 30,
    minDist: 0.1,
    targetWeight: 0.5,
    threads: context.threads,
    signal: context.signal,
    progress: context.progress,
  });
  return { coords: result.coords, info: { n_neighbors: 30, min_dist: 0.1, target_weight: 0.5, ...result.info } };
}

/** All rows when they fit, else a seeded sample (ascending row ids). */
function sampleRows(rng: Rng, rows: number, cap: number): Int32Array {
  return rng.sample(rows, Math.min(cap, rows));
}

function phaseColumn(meta: Table, rows: number): Int8Array {
  const phase = meta.phase;
  if (!(phase instanceof Int8Array) || phase.length !== rows) {
    throw new InputError(
      `project: the meta input has no Int8 phase column with ${rows} rows`,
      "wire project's meta input to load.meta (lda and umap need the phase labels)",
    );
  }
  return phase;
}
