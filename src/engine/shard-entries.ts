/**
 * The cache entries of a sharded stage besides its own: one per shard (its partial outputs), and
 * the shard plan that `pipeline run --shard` records so a later plain run knows the count.
 */
import { encodeArtifact } from "../cache/codec.ts";
import { lookUpEntry, writeSealedEntry, type ObjectRef } from "../cache/entries.ts";
import type { ResolvedStage } from "../core/graph.ts";
import { stageKey, type KeyParts } from "../core/keys.ts";
import { entryView, planParts, shardParts, type ShardRange } from "../core/shard.ts";
import { entryMismatch } from "./entry-check.ts";
import type { RunRequest } from "./run.ts";

export type Found = { outputs: Record<string, ObjectRef>; from: "local" | "remote" };

/** A computed shard as an entry of its own, offered to the remote at once. */
export async function storeShard(
  stage: ResolvedStage,
  parts: KeyParts,
  shard: ShardRange,
  outputs: Record<string, ObjectRef>,
  ms: number,
  req: Pick<RunRequest, "store" | "remote" | "runId" | "ciJob">,
): Promise<void> {
  const key = stageKey(shardParts(parts, shard));
  const entry = await writeSealedEntry(req.store, {
    stage: stage.name,
    key,
    parts: { ...shardParts(parts, shard) },
    outputs,
    ms,
    created: new Date().toISOString(),
    ...(req.runId ? { run: req.runId } : {}),
    ...(req.ciJob ? { ci_job: req.ciJob } : {}),
  });
  req.remote?.push(entry);
}

/** Shard `shard`'s entry, here or on the remote; undefined when neither holds a usable one. */
export async function findShard(
  stage: ResolvedStage,
  parts: KeyParts,
  shard: ShardRange,
  req: Pick<RunRequest, "store" | "remote" | "emit">,
): Promise<Found | undefined> {
  const shardPart = shardParts(parts, shard);
  const key = stageKey(shardPart);
  const view = entryView(stage.def, shardPart);
  const local = (await lookUpEntry(req.store, stage.name, key)).entry;
  if (local && !(await entryMismatch(local, view, req.store))) return { outputs: local.outputs, from: "local" };
  if (local) await req.store.deleting.deleteEntry(stage.name, key);
  const remote = await req.remote?.lookup(stage.name, key, view);
  return remote ? { outputs: remote.outputs, from: "remote" } : undefined;
}

/** The shard count recorded for the stage's key by `pipeline run --shard`, here or on the remote. */
export async function recordedPlan(stage: ResolvedStage, parts: KeyParts, req: RunRequest): Promise<number | undefined> {
  const plan = planParts(parts);
  const key = stageKey(plan);
  const view = entryView(stage.def, plan);
  const local = (await lookUpEntry(req.store, stage.name, key)).entry;
  const entry = local && !(await entryMismatch(local, view, req.store)) ? local : await req.remote?.lookup(stage.name, key, view);
  const ref = entry?.outputs.plan;
  const bytes = ref ? await req.store.readObject(ref.hash) : undefined;
  if (!bytes) return undefined;
  const count = (JSON.parse(Buffer.from(bytes).toString("utf8")) as { count?: unknown }).count;
  return typeof count === "number" && Number.isInteger(count) && count >= 1 ? count : undefined;
}

/** Records the shard count used for the stage's key, here and on the remote, for the run that merges. */
export async function recordPlan(stage: ResolvedStage, parts: KeyParts, count: number, req: RunRequest): Promise<void> {
  const bytes = encodeArtifact("json", { count });
  const ref: ObjectRef = { hash: await req.store.writeObject(bytes), size: bytes.length, kind: "json" };
  const plan = planParts(parts);
  const entry = await writeSealedEntry(req.store, {
    stage: stage.name,
    key: stageKey(plan),
    parts: { ...plan },
    outputs: { plan: ref },
    ms: 0,
    created: new Date().toISOString(),
    ...(req.runId ? { run: req.runId } : {}),
  });
  req.remote?.push(entry);
}

/** Whether every object is local (downloaded from the remote when needed). */
export async function fetchAll(outputs: Record<string, ObjectRef>, req: RunRequest): Promise<boolean> {
  for (const ref of Object.values(outputs))
    if (!(req.remote ? await req.remote.ensureLocal(ref) : (await req.store.objectSize(ref.hash)) === ref.size)) return false;
  return true;
}
