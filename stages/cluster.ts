import { z } from "zod";
import { InputError } from "../src/core/errors.ts";
import { numbersAt } from "../src/core/metric-values.ts";
import { defineStage, slot } from "../src/core/stage.ts";
import { predictCanonical } from "../src/numeric/kmeans-predict.ts";
import { fitMiniBatchKMeans } from "../src/numeric/minibatch-kmeans.ts";

export default defineStage({
  name: "cluster",
  version: "2", // 2: SIMD float32 distances: labels still the float64 argmin; inertia and k-means++ odds move by ~1e-6
  summary: "mini-batch k-means (k-means++ init, best of n_init) fitted on a sample; every row gets a cluster id",
  params: z.strictObject({
    k: z.number().int().min(1).default(8).describe("number of clusters"),
    sample_for_fit: z.number().int().min(1).default(100_000).describe("fit on a seeded random sample of at most this many rows"),
    batch_size: z.number().int().min(1).default(2048).describe("rows per mini-batch step"),
    n_init: z.number().int().min(1).default(4).describe("k-means++ initialisations tried; the lowest inertia wins"),
    max_iter: z
      .number()
      .int()
      .min(1)
      .default(200)
      .describe("step budget in passes over the fit sample (max_iter x rows / batch_size steps)"),
  }),
  inputs: {
    features: slot.matrix("standardized features, one row per window"),
  },
  outputs: {
    labels: slot.table("cluster (Int32) per window, numbered by first appearance", { columns: ["cluster"] }),
    info: slot.json("inertia on the fit sample, n_iter, n_steps, n_init, best_init, sample_rows", {
      fields: ["inertia", "n_iter", "n_steps", "n_init", "best_init", "init_inertias", "sample_rows", "inertia_all_rows", "sizes"],
      metrics: (info) => {
        const sizes = ((info as { sizes?: unknown }).sizes ?? []) as number[];
        return {
          ...numbersAt(info, ["inertia", "inertia_all_rows", "n_iter"]),
          ...(sizes.length > 0 ? { "size.min": Math.min(...sizes), "size.max": Math.max(...sizes) } : {}),
        };
      },
      headline: ["inertia"],
    }),
  },
  run({ params, inputs, rng, signal, progress }) {
    const { features } = inputs;
    if (features.rows < params.k) {
      throw new InputError(
        `cluster: cluster.k is ${params.k} but the feature matrix has only ${features.rows} rows`,
        `lower cluster.k (e.g. --set cluster.k=${Math.max(1, features.rows)}) or load more rows (load.max_rows)`,
      );
    }
    const sampleIds = rng.fork("fit-sample").sample(features.rows, Math.min(params.sample_for_fit, features.rows));
    const sample = { data: features.data, cols: features.cols, rowIndex: sampleIds, count: sampleIds.length };
    const fit = fitMiniBatchKMeans(sample, {
      k: params.k,
      batchSize: params.batch_size,
      nInit: params.n_init,
      maxIter: params.max_iter,
      rng: rng.fork("kmeans"),
      signal,
      onStep: (step, steps) => {
        if (step % 16 === 0) progress((0.9 * step) / steps, "mini-batch steps");
      },
    });
    const predicted = predictCanonical(features.data, features.rows, features.cols, fit.centres, params.k);
    if (!Number.isFinite(fit.inertia) || !Number.isFinite(predicted.inertia)) {
      throw new InputError(
        "cluster: the features hold NaN or infinite values (the k-means inertia is not finite)",
        "wire cluster's features input to standardize.features (it imputes NaN); if it is, run `pipeline cache verify`",
      );
    }
    progress(1);
    return {
      labels: { cluster: predicted.labels },
      info: {
        inertia: fit.inertia,
        n_iter: fit.nIter,
        n_steps: fit.nSteps,
        n_init: params.n_init,
        best_init: fit.bestInit,
        init_inertias: fit.initInertias,
        sample_rows: sampleIds.length,
        inertia_all_rows: predicted.inertia,
        sizes: clusterSizes(predicted.labels, params.k),
      },
    };
  },
});

/** Windows per cluster, cluster 0 first. */
function clusterSizes(labels: Int32Array, k: number): number[] {
  const sizes = new Array<number>(k).fill(0);
  for (const label of labels) sizes[label]!++;
  return sizes;
}
