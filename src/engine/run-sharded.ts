/**
 * A sharded stage (StageDef.shards) that missed: its shard count, its shards found here or on
 * the remote, the missing ones computed (here, one after another, or by a shard runner such as
 * the BullMQ flow), then merged into the stage's ordinary entry. Shards travel only through the
 * cache: each is an entry of its own, pushed to the remote as soon as it is stored.
 *
 *   shard 0/N ─┐
 *   shard 1/N ─┼──> merge ──> the stage's entry (its key does not depend on N)
 *   shard N-1 ─┘
 */
import type { ObjectRef } from "../cache/entries.ts";
import type { RunReason, StageResult } from "../core/events.ts";
import { EXIT } from "../core/errors.ts";
import type { ResolvedStage } from "../core/graph.ts";
import { stageKey, type KeyParts } from "../core/keys.ts";
import { shardParts } from "../core/shard.ts";
import { decideShards, needsRecordedPlan, shardCountOf, type ShardAsk } from "./decide.ts";
import { fetchAll, findShard, recordedPlan, recordPlan, storeShard, type Found } from "./shard-entries.ts";
import { buildRequest, executeOne, failed, stageHooks, writeDeclared } from "./run-stage.ts";
import type { Outcome, RunRequest } from "./run.ts";

/**
 * Runs a stage's missing shards and then their merge elsewhere (the BullMQ flow: children =
 * shards, parent = merge); resolves once the merged entry is in the shared cache.
 */
export interface ShardRunner {
  /** a label for progress rows: "bullmq redis://host:6379" */
  readonly name: string;
  run(
    job: { stage: ResolvedStage; parts: KeyParts; inputs: Record<string, ObjectRef>; count: number; shards: readonly number[] },
    req: RunRequest,
  ): Promise<ShardRunResult>;
}

export type ShardRunResult = { ok: true } | { ok: false; message: string; hint?: string; exitCode: number };

/** What the run asks of sharded stages (RunRequest.shards). */
export interface ShardPolicy extends ShardAsk {
  readonly runner?: ShardRunner;
}

/**
 * The stage computed through its shards, or undefined when it is to run unsharded (no shard
 * count was asked for or recorded): the caller then runs it as any stage.
 */
export async function runSharded(
  stage: ResolvedStage,
  parts: KeyParts,
  reasons: RunReason[],
  req: RunRequest,
  more: boolean,
  inputs: Record<string, ObjectRef>,
  ensureInputs: (slots?: readonly string[]) => Promise<string | undefined>,
): Promise<Outcome | undefined> {
  const ask = req.shards ?? { only: undefined, requested: undefined };
  const recorded = needsRecordedPlan(ask) ? await recordedPlan(stage, parts, req) : undefined;
  const count = shardCountOf(ask, recorded);
  if (count === undefined) return undefined;
  const started = performance.now();
  req.emit({
    type: "stage:start",
    stage: stage.name,
    key: stageKey(parts),
    reasons: [...reasons.map((r) => r.detail), `in ${count} shard${count === 1 ? "" : "s"}`],
  });
  const found: (Found | undefined)[] = [];
  const forced = req.forced.has(stage.name); // a forced stage recomputes its shards too
  for (let index = 0; index < count; index++) found.push(forced ? undefined : await findShard(stage, parts, { index, count }, req));
  // a merge needs the shards' objects here: one the remote cannot give is computed here instead
  if (!ask.only)
    for (const [index, f] of found.entries()) if (f?.from === "remote" && !(await fetchAll(f.outputs, req))) found[index] = undefined;
  const { compute, merge } = decideShards(
    ask.only,
    found.map((f) => f !== undefined),
  );
  const summary = { count, ran: compute, local: indicesFrom(found, "local"), remote: indicesFrom(found, "remote"), merged: merge };
  for (const [index, f] of found.entries())
    if (f) req.emit({ type: "stage:shard", stage: stage.name, index, count, state: f.from === "local" ? "cached" : "remote" });

  if (compute.length > 0 && merge && req.shards?.runner) return runElsewhere(stage, parts, reasons, inputs, compute, summary, started, req);
  if (compute.length > 0) {
    const computed = await computeShards(stage, parts, count, compute, req, more || merge, ensureInputs);
    if ("type" in computed) return computed;
    for (const [index, outputs] of computed) found[index] = { outputs, from: "local" };
  }
  const ms = () => Math.round(performance.now() - started);
  if (!merge) {
    await recordPlan(stage, parts, count, req);
    const what = `shard ${ask.only!.index}/${count} ${compute.length > 0 ? "computed" : "was cached"}`;
    req.emit({ type: "stage:done", stage: stage.name, key: stageKey(parts), ms: ms() });
    const reason = `${what}; merge the shards with a plain \`pipeline run\``;
    return {
      type: "result",
      result: {
        name: stage.name,
        status: compute.length > 0 ? "ran" : "cached",
        ms: ms(),
        key: stageKey(parts),
        reason,
        parts: { ...parts },
        shards: summary,
      },
    };
  }
  const missing = await ensureInputs(stage.def.shards!.mergeInputs);
  if (missing) return { type: "corrupt", slot: missing };
  for (const [index, f] of found.entries()) {
    if (await fetchAll(f!.outputs, req)) continue;
    const what = compute.includes(index)
      ? "computed on a worker but its objects could not be fetched from the remote cache"
      : "vanished from the local cache";
    return failed(
      req,
      stage,
      parts,
      `shard ${index}/${count} ${what}`,
      "run again: a shard that cannot be had is computed here",
      EXIT.stageFailed,
      ms(),
    );
  }
  const outcome = await executeOne(stage, parts, reasons, req, more, { shards: found.map((f) => f!.outputs), started, summary });
  if (outcome.type === "corrupt" && outcome.slot.startsWith("shard:")) {
    // a shard's object is damaged: forget that shard, so the next attempt computes it again
    const index = Number(outcome.slot.slice("shard:".length));
    const key = stageKey(shardParts(parts, { index, count }));
    await req.store.deleting.deleteEntry(stage.name, key);
    req.remote?.reject(key);
    return failed(
      req,
      stage,
      parts,
      `shard ${index}/${count} in the cache is damaged; it was deleted`,
      "run again: the shard is then computed here",
      EXIT.stageFailed,
      ms(),
    );
  }
  return outcome;
}

/** Computes the listed shards here, one after another (each with every thread). */
async function computeShards(
  stage: ResolvedStage,
  parts: KeyParts,
  count: number,
  compute: readonly number[],
  req: RunRequest,
  more: boolean,
  ensureInputs: (slots?: readonly string[]) => Promise<string | undefined>,
): Promise<Map<number, Record<string, ObjectRef>> | Outcome> {
  const out = new Map<number, Record<string, ObjectRef>>();
  const missing = await ensureInputs();
  if (missing) return { type: "corrupt", slot: missing };
  for (const [n, index] of compute.entries()) {
    const shard = { index, count };
    const started = performance.now();
    req.emit({ type: "stage:shard", stage: stage.name, index, count, state: "running", where: "here" });
    const request = { ...buildRequest(stage, parts, req), shard };
    const message = await req.execute(
      request,
      stageHooks(stage, req, `shard ${index}/${count}`),
      req.signal,
      more || n < compute.length - 1,
    );
    if (message.type === "corrupt-input") return { type: "corrupt", slot: message.slot };
    if (message.type === "error") {
      const err = message.error;
      return failed(req, stage, parts, err.message, err.hint, err.exitCode ?? EXIT.stageFailed);
    }
    const ms = Math.round(performance.now() - started);
    await storeShard(stage, parts, shard, message.outputs, ms, req);
    req.emit({ type: "stage:shard", stage: stage.name, index, count, state: "done", where: "here", ms });
    out.set(index, message.outputs);
  }
  return out;
}

/**
 * The shards and their merge on the runner's workers, then the merged entry from the remote as
 * this run's result: its declared files written (their objects fetched), kept locally when whole.
 */
async function runElsewhere(
  stage: ResolvedStage,
  parts: KeyParts,
  reasons: RunReason[],
  inputs: Record<string, ObjectRef>,
  compute: number[],
  summary: NonNullable<StageResult["shards"]>,
  started: number,
  req: RunRequest,
): Promise<Outcome> {
  const runner = req.shards!.runner!;
  const { count } = summary;
  for (const index of compute) req.emit({ type: "stage:shard", stage: stage.name, index, count, state: "queued", where: runner.name });
  const result = await runner.run({ stage, parts, inputs, count, shards: compute }, req);
  const ms = Math.round(performance.now() - started);
  if (!result.ok) return failed(req, stage, parts, result.message, result.hint, result.exitCode, ms);
  const key = stageKey(parts);
  const entry = await req.remote?.lookup(stage.name, key, stage.def);
  if (!entry) {
    const hint = "check that the workers' remote cache is this run's, readwrite, with a signing key this project trusts";
    return failed(
      req,
      stage,
      parts,
      `the merge finished on ${runner.name} but its entry is not on the remote cache`,
      hint,
      EXIT.stageFailed,
      ms,
    );
  }
  if (req.writeOutputs) {
    for (const b of stage.outputs)
      if (!(await req.remote!.ensureLocal(entry.outputs[b.slot]!)))
        return failed(
          req,
          stage,
          parts,
          `output ${b.slot} of the merge could not be fetched from the remote cache`,
          "run again",
          EXIT.stageFailed,
          ms,
        );
    const written = await writeDeclared(stage, entry.outputs, req);
    if (written !== "ok")
      return failed(
        req,
        stage,
        parts,
        written === "missing-object" ? "an output object vanished" : written.message,
        undefined,
        EXIT.stageFailed,
        ms,
      );
  }
  await req.remote!.keepIfComplete(key);
  req.emit({ type: "stage:done", stage: stage.name, key, ms });
  const reason = `${reasons.map((r) => r.detail).join("; ")}; ${compute.length} of ${count} shards and the merge on ${runner.name}`;
  return {
    type: "result",
    result: { name: stage.name, status: "ran", ms, key, reason, parts: { ...parts }, outputs: entry.outputs, reasons, shards: summary },
  };
}

function indicesFrom(found: readonly (Found | undefined)[], from: Found["from"]): number[] {
  return found.flatMap((f, i) => (f?.from === from ? [i] : []));
}
