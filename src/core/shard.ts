/**
 * Sharded stages: a stage whose work splits over row ranges declares `shards` (see StageDef).
 * Shard i of N is a cache entry of its own, keyed by the stage's key parts plus
 * `shard: {index, count}`; the merge of every shard is the stage's ordinary entry, under the
 * key it has unsharded (the key never depends on the shard count). A shard plan entry
 * (`shard: "plan"`) records the count that `pipeline run --shard I/N` used, so a later plain
 * run finds the shards.
 */
import { stageKey, type KeyParts } from "./keys.ts";
import type { AnyStage, OutputSlot } from "./stage.ts";

export interface ShardRange {
  /** 0-based */
  readonly index: number;
  readonly count: number;
}

/** Shard counts past this are refused: each shard is an entry and a request. */
export const MAX_SHARDS = 1024;

/**
 * Items [start, end) of `total` that shard `index` of `count` covers: consecutive ranges whose
 * sizes differ by at most one, in shard order, together covering 0..total exactly once.
 */
export function shardRows(total: number, shard: ShardRange): { start: number; end: number } {
  return { start: Math.floor((shard.index * total) / shard.count), end: Math.floor(((shard.index + 1) * total) / shard.count) };
}

/** The key parts of one shard of a stage whose (unsharded) key parts are `parts`. */
export function shardParts(parts: KeyParts, shard: ShardRange): KeyParts {
  return { ...parts, shard: { index: shard.index, count: shard.count } };
}

export function shardKey(parts: KeyParts, shard: ShardRange): string {
  return stageKey(shardParts(parts, shard));
}

/** The key parts of the stage's shard plan: the entry that records how many shards were made. */
export function planParts(parts: KeyParts): KeyParts {
  return { ...parts, shard: "plan" };
}

/** The output slots of a shard plan entry. */
export const PLAN_OUTPUTS: Record<string, OutputSlot> = {
  plan: { kind: "json", description: "the shard count used for this key", fields: ["count"] },
};

/**
 * What an entry of a sharded stage holds, by its key parts: the stage's own outputs, one
 * shard's partial outputs, or a shard plan. Returned as a stage definition whose `outputs`
 * are those slots, so the entry checks (local, remote, cache verify) apply unchanged.
 */
export function entryView(def: AnyStage, parts: Record<string, unknown>): AnyStage {
  const shard = parts.shard;
  if (shard === undefined || !def.shards) return def;
  return { ...def, outputs: shard === "plan" ? PLAN_OUTPUTS : def.shards.outputs };
}

/** The unsharded key a shard or plan entry belongs to (gc keeps it while that key is live). */
export function baseKeyOf(parts: Record<string, unknown>): string | undefined {
  if (parts.shard === undefined) return undefined;
  const { shard: _shard, ...base } = parts;
  return stageKey(base as KeyParts);
}

/** "1/4" as the CLI takes it: 0-based index, count >= 1; undefined when it does not parse. */
export function parseShardRange(text: string): ShardRange | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return undefined;
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARDS || index >= count) return undefined;
  return { index, count };
}
