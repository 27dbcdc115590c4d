import { z } from "zod";
import type { Table } from "../src/core/artifact.ts";
import { InputError } from "../src/core/errors.ts";
import { defineStage, slot } from "../src/core/stage.ts";
import { countRoles, SPLIT_RECIPES, splitWindows } from "../src/split/index.ts";
import { encodeNeighbours } from "../src/split/neighbours.ts";

export default defineStage({
  name: "classify",
  version: "1",
  summary: "split windows into train/val/test and predict phases with a distance-weighted exact KNN",
  params: z.strictObject({
    split: z.enum(SPLIT_RECIPES).default("host").describe("held-out recipe: host (unseen hosts), random (seeded 80/20 rows) or sample (unseen malware samples)"),
    train_hosts: z
      .array(z.string().min(1))
      .min(1)
      .default(["elliott-thinkpad", "lab-node-01", "lab-node-02"])
      .describe("hosts whose episodes are trained on (split=host); every other host is test"),
    k: z.number().int().min(1).default(10).describe("neighbours per vote (votes weighted by 1/distance)"),
    val_fraction: z.number().gt(0).lt(1).default(0.2).describe("share of each profile's sample groups moved from train to val"),
  }),
  inputs: {
    features: slot.matrix("standardized features, one row per window"),
    meta: slot.table("per-window phase and episode_id"),
    validation: slot.path("validation_v1.parquet: one row per episode with host_id, profile, sample_name, status"),
  },
  outputs: {
    predictions: slot.table("predicted (Int8), is_train (0/1), role (0 train, 1 val, 2 test, 3 other) per window", { columns: ["predicted", "is_train", "role"] }),
    neighbours: slot.table("train-only top-k of each test window: row, neighbour, distance, split_code", { columns: ["row", "neighbour", "distance", "split_code"] }),
    info: slot.json("split recipe, window counts per role, train_hosts and k", { fields: ["split", "counts", "train_hosts", "k", "val_fraction"] }),
  },
  async run({ params, inputs, rng, threads, signal, progress, log }) {
    // NOTE: loaded here, not at the top: the parquet reader costs every CLI call ~0.2 s to import.
    // (".js": tsc does not rewrite the extension of an import() that leaves this folder)
    const { readValidationFile } = await import("../src/split/read-validation.js");
    const { fitPredict } = await import("../src/split/fit-predict.js");
    const { phase, episodeIds } = _metaColumns(inputs.meta, inputs.features.rows);
    const roles = splitWindows({
      recipe: params.split,
      windowEpisodes: episodeIds,
      ...(params.split === "random" ? {} : { validation: await readValidationFile(inputs.validation) }),
      trainHosts: params.train_hosts,
      valFraction: params.val_fraction,
      rng,
      file: inputs.validation.display,
    });
    const counts = countRoles(roles);
    log(`split ${params.split}: ${JSON.stringify(counts)}`);
    const fit = await fitPredict({ features: inputs.features, phase, roles, k: params.k, threads, signal, onProgress: (f) => progress(f, "knn") });
    return {
      predictions: { predicted: fit.predicted, is_train: fit.isTrain, role: roles },
      neighbours: encodeNeighbours({ testRows: fit.testRows, k: params.k, result: fit.testNeighbours, split: params.split }),
      info: { split: params.split, counts, train_hosts: params.split === "host" ? params.train_hosts : [], k: params.k, val_fraction: params.val_fraction },
    };
  },
});

function _metaColumns(meta: Table, rows: number): { phase: Int8Array; episodeIds: readonly string[] } {
  const { phase, episode_id: episodeIds } = meta;
  if (!(phase instanceof Int8Array) || !Array.isArray(episodeIds)) {
    throw new InputError("classify: meta table lacks an Int8 phase or a string episode_id column", "wire classify's meta input to load.meta");
  }
  if (phase.length !== rows || episodeIds.length !== rows) {
    throw new InputError(`classify: meta has ${phase.length} rows but features has ${rows}`, "wire features and meta from the same load run");
  }
  return { phase, episodeIds: episodeIds as readonly string[] };
}
