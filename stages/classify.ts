import { z } from "zod";
import { defineStage, slot } from "../src/core/stage.ts";
import { SPLIT_RECIPES } from "../src/split/index.ts";

export default defineStage({
  name: "classify",
  version: "1",
  summary: "split windows into train/val/test and predict phases with a distance-weighted exact KNN",
  params: z.strictObject({
    split: z
      .enum(SPLIT_RECIPES)
      .default("host")
      .describe("held-out recipe: host (unseen hosts), random (seeded 80/20 rows) or sample (unseen malware samples)"),
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
    predictions: slot.table("predicted (Int8), is_train (0/1), role (0 train, 1 val, 2 test, 3 other) per window", {
      columns: ["predicted", "is_train", "role"],
    }),
    neighbours: slot.table("train-only top-k of each test window: row, neighbour, distance, split_code", {
      columns: ["row", "neighbour", "distance", "split_code"],
    }),
    info: slot.json("split recipe, window counts per role, train_hosts and k", {
      fields: ["split", "counts", "train_hosts", "k", "val_fraction"],
    }),
  },
  async run(ctx) {
    const { predictShard, mergeShards } = await import("../src/split/classify-run.js");
    return mergeShards(ctx, [await predictShard(ctx, { index: 0, count: 1 })]);
  },
  // the KNN queries (every non-fit window) split into consecutive ranges; the reference set
  // is whole in every shard, so each query's neighbours are the same in any shard count
  shards: {
    outputs: {
      votes: slot.table("the shard's query windows and their train+val vote", { columns: ["row", "predicted"] }),
      neighbours: slot.table("train-only top-k of the shard's test windows", { columns: ["row", "neighbour", "distance"] }),
    },
    mergeInputs: ["meta", "validation"],
    async run(ctx) {
      const { predictShard } = await import("../src/split/classify-run.js");
      return predictShard(ctx, ctx.shard);
    },
    async merge(ctx, shards) {
      const { mergeShards } = await import("../src/split/classify-run.js");
      return mergeShards(ctx, shards);
    },
  },
});
