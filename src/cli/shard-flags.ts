import { ancestorsOf, type ResolvedPipeline } from "../core/graph.ts";
import { UsageError } from "../core/errors.ts";
import { MAX_SHARDS, parseShardRange, type ShardRange } from "../core/shard.ts";

/**
 * `--shard I/N`, 0-based. `--shard env/N` takes I from JOB_COMPLETION_INDEX, the variable a
 * Kubernetes Indexed Job gives each pod (as does `$(JOB_COMPLETION_INDEX)/N` in its args).
 */
export function parseShardFlag(value: string | undefined, env: NodeJS.ProcessEnv): ShardRange | undefined {
  if (value === undefined) return undefined;
  let text = value;
  if (value.startsWith("env/")) {
    const index = env.JOB_COMPLETION_INDEX;
    if (index === undefined || index === "") {
      throw new UsageError(
        `--shard ${value}: JOB_COMPLETION_INDEX is not set`,
        "set it (a Kubernetes Indexed Job does), or pass the index: --shard 0/4",
      );
    }
    text = `${index}${value.slice("env".length)}`;
  }
  const range = parseShardRange(text);
  if (!range)
    throw new UsageError(
      `--shard ${value}: expected I/N with 0 <= I < N <= ${MAX_SHARDS} (0-based), e.g. --shard 0/4`,
      "see `pipeline run --help`",
    );
  return range;
}

/** `--shards N`: how many shards a run that computes the shards itself (or on a queue) makes. */
export function parseShardsFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS)
    throw new UsageError(`--shards must be a whole number from 1 to ${MAX_SHARDS}, got "${value}"`);
  return n;
}

/**
 * What a `--shard` run covers: the sharded stages of the selection and what they need upstream.
 * The other stages are left to the run that merges, so N shard jobs do not each repeat them.
 */
export function shardScope(pipeline: ResolvedPipeline, scope: ReadonlySet<string>): Set<string> {
  const sharded = [...scope].filter((n) => pipeline.stages.get(n)!.def.shards !== undefined);
  if (sharded.length === 0) {
    const can = pipeline.order.filter((n) => pipeline.stages.get(n)!.def.shards !== undefined);
    throw new UsageError(
      "--shard: no selected stage can be sharded",
      can.length > 0 ? `stages that can: ${can.join(", ")}` : "no stage of this pipeline declares shards",
    );
  }
  const keep = new Set(sharded.flatMap((n) => [...ancestorsOf(pipeline, n)]));
  return new Set([...scope].filter((n) => keep.has(n)));
}
