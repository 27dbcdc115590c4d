/**
 * classify's work in two steps, so the engine can shard it: predictShard runs the KNN for one
 * range of the query windows, mergeShards assembles the stage's outputs from every range. The
 * unsharded stage is shard 0 of 1 merged, so both paths give the same bytes by construction.
 */
import type { FileRef, Matrix, Table } from "../core/artifact.ts";
import { InputError } from "../core/errors.ts";
import { createRng } from "../core/rng.ts";
import type { ShardRange } from "../core/shard.ts";
import type { StageContext } from "../core/stage.ts";
import { assembleShards, fitPredictShard } from "./fit-predict.ts";
import { countRoles, splitWindows, type SplitRecipe } from "./index.ts";
import { encodeNeighbours } from "./neighbours.ts";
import { readValidationFile } from "./read-validation.ts";
import { decodeShard, encodeShard } from "./shard-tables.ts";

interface ClassifyParams {
  split: SplitRecipe;
  train_hosts: string[];
  k: number;
  val_fraction: number;
}

interface ClassifyInputs {
  features: Matrix;
  meta: Table;
  validation: FileRef;
}

type Ctx<I> = StageContext<ClassifyParams, I>;

/** The KNN for shard `shard` of the query windows: its votes and test neighbours as tables. */
export async function predictShard(ctx: Ctx<ClassifyInputs>, shard: ShardRange): Promise<{ votes: Table; neighbours: Table }> {
  const { params, inputs } = ctx;
  const { phase, roles } = await splitOf(ctx, inputs.features.rows);
  const label = shard.count > 1 ? `knn shard ${shard.index}/${shard.count}` : "knn";
  const part = await fitPredictShard(
    {
      features: inputs.features,
      phase,
      roles,
      k: params.k,
      threads: ctx.threads,
      signal: ctx.signal,
      onProgress: (f) => ctx.progress(f, label),
    },
    shard,
  );
  return encodeShard(part, params.k);
}

/** classify's outputs from its shards' tables, in shard order. */
export async function mergeShards(ctx: Ctx<Partial<ClassifyInputs>>, shards: readonly Record<string, unknown>[]) {
  const { params } = ctx;
  const { phase, roles, counts } = await splitOf(ctx, undefined);
  if (shards.length > 1) ctx.log(`split ${params.split}: ${JSON.stringify(counts)}`);
  const parts = shards.map((s) => decodeShard(s as { votes: Table; neighbours: Table }, params.k));
  const fit = assembleShards(phase, roles, parts, params.k);
  return {
    predictions: { predicted: fit.predicted, is_train: fit.isTrain, role: roles },
    neighbours: encodeNeighbours({ testRows: fit.testRows, k: params.k, result: fit.testNeighbours, split: params.split }),
    info: {
      split: params.split,
      counts,
      train_hosts: params.split === "host" ? params.train_hosts : [],
      k: params.k,
      val_fraction: params.val_fraction,
    },
  };
}

/** The split's role of every window (cheap: recomputed by every shard and by the merge). */
async function splitOf(ctx: Ctx<Partial<ClassifyInputs>>, featureRows: number | undefined) {
  const { params, inputs } = ctx;
  const { phase, episodeIds } = metaColumns(inputs.meta!, featureRows);
  const roles = splitWindows({
    recipe: params.split,
    windowEpisodes: episodeIds,
    ...(params.split === "random" ? {} : { validation: await readValidationFile(inputs.validation!) }),
    trainHosts: params.train_hosts,
    valFraction: params.val_fraction,
    rng: createRng(ctx.seed),
    file: inputs.validation!.display,
  });
  const counts = countRoles(roles);
  if (featureRows !== undefined) ctx.log(`split ${params.split}: ${JSON.stringify(counts)}`);
  return { phase, roles, counts };
}

function metaColumns(meta: Table, rows: number | undefined): { phase: Int8Array; episodeIds: readonly string[] } {
  const { phase, episode_id: episodeIds } = meta;
  if (!(phase instanceof Int8Array) || !Array.isArray(episodeIds)) {
    throw new InputError(
      "classify: meta table lacks an Int8 phase or a string episode_id column",
      "wire classify's meta input to load.meta",
    );
  }
  if (rows !== undefined && (phase.length !== rows || episodeIds.length !== rows)) {
    throw new InputError(
      `classify: meta has ${phase.length} rows but features has ${rows}`,
      "wire features and meta from the same load run",
    );
  }
  return { phase, episodeIds: episodeIds as readonly string[] };
}
