/**
 * The planner's core: what happens to a stage, decided from facts the walker gathered (which
 * stages failed, whether its input files exist, its key parts, the local entry for its key,
 * its last recorded key parts). Pure: no file, cache or network access, no events. `run`,
 * `--dry-run`, `status` and `explain` all act on these decisions; a decision to look further
 * goes to the remote tier (when there is one) and then runs, or in a dry run would run.
 */
import type { ObjectRef } from "../cache/entries.ts";
import { InternalError } from "../core/errors.ts";
import type { RunReason } from "../core/events.ts";
import type { ResolvedStage } from "../core/graph.ts";
import { keyChanges, stageKey, type KeyParts } from "../core/keys.ts";

export interface StageFacts {
  readonly inScope: boolean;
  readonly forced: boolean;
  readonly dryRun: boolean;
  /** an earlier stage failed and the run does not keep going */
  readonly stopping: boolean;
  /** failed stages upstream of this one, directly or behind stages they kept from running */
  readonly blockedBy: readonly string[];
  readonly missingFile: { readonly slot: string; readonly display: string } | undefined;
  /** undefined when an earlier fact decides (a failed upstream, a missing file): it is not computed */
  readonly parts: KeyParts | { readonly waitingOn: readonly string[] } | undefined;
  /** the usable local entry for the stage's key, when the walker looked (see needsLocalEntry) */
  readonly localEntry: { readonly outputs: Readonly<Record<string, ObjectRef>> } | undefined;
  /** the stage's key parts at its last recorded run */
  readonly previousParts: Record<string, unknown> | undefined;
}

export type SkipCause = "upstream-failed" | "stopping" | "not-selected" | "effect" | "waiting";

export type Decision =
  | {
      kind: "skip";
      cause: SkipCause;
      detail: string;
      blockedBy?: readonly string[];
      key?: string;
      parts?: KeyParts;
      outputs?: Readonly<Record<string, ObjectRef>>;
    }
  | { kind: "fail"; cause: "input-file-missing" | "input-not-cached"; message: string; hint: string }
  | { kind: "cached"; key: string; parts: KeyParts; outputs: Readonly<Record<string, ObjectRef>> }
  | { kind: "look-further"; key: string; parts: KeyParts; reasons: RunReason[] };

/** Whether deciding needs the local entry (an effect never has one; a forced stage in scope ignores it). */
export function needsLocalEntry(stage: ResolvedStage, inScope: boolean, forced: boolean): boolean {
  return stage.def.effect !== true && (!inScope || !forced);
}

export function decideStage(stage: ResolvedStage, facts: StageFacts): Decision {
  const { inScope, parts } = facts;
  if (facts.blockedBy.length > 0)
    return {
      kind: "skip",
      cause: "upstream-failed",
      detail: `not run because ${facts.blockedBy.join(", ")} failed`,
      blockedBy: facts.blockedBy,
    };
  if (inScope && facts.stopping)
    return { kind: "skip", cause: "stopping", detail: "not run: an earlier stage failed (use --keep-going to run independent stages)" };
  if (facts.missingFile) {
    if (!inScope) return { kind: "skip", cause: "not-selected", detail: "not selected" };
    const { slot, display } = facts.missingFile;
    return {
      kind: "fail",
      cause: "input-file-missing",
      message: `input ${slot}: ${display} does not exist`,
      hint: "create it (for the demo: `pipeline demo-data`) or fix the path in pipeline.yaml",
    };
  }
  if (!parts) throw new InternalError(`decideStage(${stage.name}): key parts are needed once nothing earlier decides`);
  if ("waitingOn" in parts) {
    if (!inScope) return { kind: "skip", cause: "not-selected", detail: "not selected" };
    const on = parts.waitingOn.join(", ");
    if (facts.dryRun) return { kind: "skip", cause: "waiting", detail: `waiting on ${on} (decided after it runs; may still be cached)` };
    return {
      kind: "fail",
      cause: "input-not-cached",
      message: `its input ${on} is not in the cache`,
      hint: `run \`pipeline run --until ${stage.name}\` first`,
    };
  }
  const key = stageKey(parts);
  const effect = stage.def.effect === true;
  if (!inScope) {
    const outputs = facts.localEntry?.outputs;
    const detail = effect ? "an effect: runs only with --publish or when named" : "not selected";
    return { kind: "skip", cause: effect ? "effect" : "not-selected", detail, key, parts, ...(outputs ? { outputs } : {}) };
  }
  if (!effect && !facts.forced && facts.localEntry) return { kind: "cached", key, parts, outputs: facts.localEntry.outputs };
  return { kind: "look-further", key, parts, reasons: runReasons(effect, facts.forced, facts.previousParts, parts) };
}

/** Why a stage runs: the closed set of RunReason codes. */
export function runReasons(effect: boolean, forced: boolean, previous: Record<string, unknown> | undefined, parts: KeyParts): RunReason[] {
  if (effect) return [{ code: "effect", detail: "an effect: never cached" }];
  if (forced) return [{ code: "forced", detail: "forced" }];
  if (!previous) return [{ code: "never-run", detail: "never run before" }];
  const changes = keyChanges(previous, parts).map((c) => ({ code: c.part, detail: c.detail }));
  return changes.length > 0 ? changes : [{ code: "entry-missing", detail: "its cache entry is missing (removed by gc, or damaged)" }];
}

/** What the run was asked about shards: `--shard I/N` (only), `--shards N` (requested). */
export interface ShardAsk {
  readonly only: { readonly index: number; readonly count: number } | undefined;
  readonly requested: number | undefined;
}

/** Whether the shard count must come from a recorded shard plan (nothing on the command line gives it). */
export function needsRecordedPlan(ask: ShardAsk): boolean {
  return ask.only === undefined && ask.requested === undefined;
}

/**
 * The shard count of a sharded stage that missed: `--shard I/N`'s N, else `--shards N`, else
 * the count its recorded shard plan names; undefined (computed unsharded, as any stage) when
 * none gives one. `--shards 1` is unsharded too.
 */
export function shardCountOf(ask: ShardAsk, recorded: number | undefined): number | undefined {
  if (ask.only) return ask.only.count;
  if (ask.requested !== undefined) return ask.requested > 1 ? ask.requested : undefined;
  return recorded;
}

/**
 * Which shards to compute (those found neither here nor on the remote: `present[i]` false) and
 * whether to merge: `--shard I/N` computes shard I alone and never merges; any other run
 * computes every missing shard, then merges.
 */
export function decideShards(only: ShardAsk["only"], present: readonly boolean[]): { compute: number[]; merge: boolean } {
  if (only && only.count !== present.length) throw new InternalError(`decideShards: ${present.length} facts for ${only.count} shards`);
  const missing = present.flatMap((found, i) => (found ? [] : [i]));
  if (only) return { compute: missing.filter((i) => i === only.index), merge: false };
  return { compute: missing, merge: true };
}
