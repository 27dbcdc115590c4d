/**
 * One queued job of a sharded stage, done on a worker machine against its own clone of the
 * project: a shard (the flow's children) or the merge (its parent). The job names the stage, its
 * key parts and its input objects, never data: inputs come from the shared remote cache, and the
 * result goes back there. A job whose result is already cached (here or on the remote) is done at
 * once, so a retried or duplicated job costs a lookup (idempotent by content key).
 */
import { hostname } from "node:os";
import { lookUpEntry, writeSealedEntry, type ObjectRef } from "../cache/entries.ts";
import type { ResolvedStage } from "../core/graph.ts";
import { stageKey, type KeyParts } from "../core/keys.ts";
import { entryView, shardParts, type ShardRange } from "../core/shard.ts";
import { executeStage } from "../engine/execute-stage.ts";
import { entryMismatch } from "../engine/entry-check.ts";
import type { WorkerMessage } from "../engine/protocol.ts";
import { buildRequest } from "../engine/run-stage.ts";
import { findShard, storeShard } from "../engine/shard-entries.ts";
import type { RunRequest } from "../engine/run.ts";
import type { Project } from "../cli/project.ts";
import { ciJobId, openRemote } from "../remote/open.ts";
import { keyMismatch } from "./key-check.ts";
import type { RemoteTier } from "../remote/tier.ts";

export interface ShardJobData {
  /** the stage's name in pipeline.yaml */
  stage: string;
  /** the stage's own (unsharded) key parts */
  parts: KeyParts;
  /** the stage's ref inputs: slot -> object, fetched from the remote cache */
  inputs: Record<string, ObjectRef>;
  count: number;
  /** the shard to compute; absent on the merge */
  index?: number;
}

export interface ShardJobResult {
  key: string;
  /** found cached: nothing was computed */
  cached: boolean;
  worker: string;
  ms: number;
}

/** A job this worker can never do (another project, code or input file): BullMQ does not retry it. */
export class JobRefused extends Error {
  override name = "UnrecoverableError";
}

export interface JobContext {
  project: Project;
  threads: number;
  signal: AbortSignal;
  progress(fraction: number, detail?: string): void;
  warn(message: string): void;
}

export const workerName = (): string => `${hostname()}:${process.pid}`;

export async function processShardJob(data: ShardJobData, ctx: JobContext): Promise<ShardJobResult> {
  const started = performance.now();
  const { project } = ctx;
  const stage = project.pipeline.stages.get(data.stage);
  if (!stage?.def.shards) throw new JobRefused(`this worker's pipeline.yaml (${project.pipeline.dir}) has no sharded stage ${data.stage}`);
  const mismatch = keyMismatch(project, stage, data.parts);
  if (mismatch.length > 0)
    throw new JobRefused(
      `this worker's clone gives stage ${stage.name} another key than the coordinator's (coordinator -> worker): ${mismatch.join("; ")} ` +
        "(run the workers on the coordinator's commit, pipeline version and input files)",
    );
  const remote = openRemote(project, ctx.warn);
  if (!remote?.writable)
    throw new JobRefused(
      "this worker has no remote cache it may write: " +
        "set PIPELINE_REMOTE_CACHE, PIPELINE_REMOTE_CACHE_MODE=readwrite and PIPELINE_CACHE_SIGNING_KEY",
    );
  try {
    const req = requestFor(project, remote, ctx);
    const shard = data.index === undefined ? undefined : { index: data.index, count: data.count };
    const done = (key: string, cached: boolean): ShardJobResult => ({
      key,
      cached,
      worker: workerName(),
      ms: Math.round(performance.now() - started),
    });
    const key = shard ? stageKey(shardParts(data.parts, shard)) : stageKey(data.parts);
    if (await alreadyThere(stage, data.parts, shard, req)) return done(key, true);
    const outputs = shard ? await computeShard(stage, data, shard, req, ctx) : await mergeShards(stage, data, req, ctx);
    const ms = Math.round(performance.now() - started);
    if (shard) await storeShard(stage, data.parts, shard, outputs, ms, req);
    else
      remote.push(
        await writeSealedEntry(req.store, {
          stage: stage.name,
          key,
          parts: { ...data.parts },
          outputs,
          ms,
          created: new Date().toISOString(),
          ...(req.ciJob ? { ci_job: req.ciJob } : {}),
        }),
      );
    await remote.flush();
    // the coordinator reads the result from the remote: the job is done only once it is there
    if (!(await remote.lookup(stage.name, key, entryView(stage.def, shard ? shardParts(data.parts, shard) : data.parts)))) {
      throw new Error(
        `${stage.name} ${shard ? `shard ${shard.index}/${shard.count}` : "merge"} was computed but the remote cache did not take it`,
      );
    }
    return done(key, false);
  } finally {
    await remote.close();
  }
}

/** The parts of a run request the engine's shard helpers read, for this worker's project. */
function requestFor(project: Project, remote: RemoteTier, ctx: JobContext): RunRequest {
  const ciJob = ciJobId(process.env);
  return {
    pipeline: project.pipeline,
    store: project.store,
    hasher: project.hasher,
    plugins: project.plugins,
    threads: ctx.threads,
    remote,
    emit: (e) => (e.type === "warning" ? ctx.warn(e.message) : undefined),
    ...(ciJob ? { ciJob } : {}),
  } as Partial<RunRequest> as RunRequest;
}

async function alreadyThere(stage: ResolvedStage, parts: KeyParts, shard: ShardRange | undefined, req: RunRequest): Promise<boolean> {
  if (shard) return (await findShard(stage, parts, shard, req)) !== undefined;
  const key = stageKey(parts);
  const local = (await lookUpEntry(req.store, stage.name, key)).entry;
  if (local && !(await entryMismatch(local, stage.def, req.store))) return true;
  return (await req.remote!.lookup(stage.name, key, stage.def)) !== undefined;
}

async function computeShard(
  stage: ResolvedStage,
  data: ShardJobData,
  shard: ShardRange,
  req: RunRequest,
  ctx: JobContext,
): Promise<Record<string, ObjectRef>> {
  await fetchInputs(stage, data, req, undefined);
  return run(stage, data, { ...buildRequest(withParams(stage, data), data.parts, req), shard }, ctx);
}

async function mergeShards(stage: ResolvedStage, data: ShardJobData, req: RunRequest, ctx: JobContext): Promise<Record<string, ObjectRef>> {
  const shards: Record<string, ObjectRef>[] = [];
  for (let index = 0; index < data.count; index++) {
    const found = await findShard(stage, data.parts, { index, count: data.count }, req);
    if (!found) throw new Error(`shard ${index}/${data.count} of ${stage.name} is in no cache this worker reads`);
    for (const ref of Object.values(found.outputs))
      if (!(await req.remote!.ensureLocal(ref))) throw new Error(`shard ${index}/${data.count}'s objects could not be fetched`);
    shards.push(found.outputs);
  }
  const only = stage.def.shards!.mergeInputs;
  await fetchInputs(stage, data, req, only);
  return run(stage, data, { ...buildRequest(withParams(stage, data), data.parts, req, only), merge: shards }, ctx);
}

/** The input objects from the remote (this clone's input files were checked against the key: keyMismatch). */
async function fetchInputs(stage: ResolvedStage, data: ShardJobData, req: RunRequest, only: readonly string[] | undefined): Promise<void> {
  for (const b of stage.inputs) {
    if ((only && !only.includes(b.slot)) || b.kind === "file") continue;
    const ref = data.inputs[b.slot];
    if (!ref || ref.hash !== data.parts.inputs[b.slot])
      throw new JobRefused(`input ${b.slot}: the job does not name the object its key does`);
    if (!(await req.remote!.ensureLocal(ref)))
      throw new Error(
        `input ${b.slot} (object ${ref.hash.slice(0, 12)}) is not on the remote cache: ` +
          "the coordinator uploads its inputs before it queues (is its remote readwrite?)",
      );
  }
}

/** The stage as the job's key parts have it (the coordinator's --set may differ from this yaml). */
function withParams(stage: ResolvedStage, data: ShardJobData): ResolvedStage {
  return { ...stage, params: data.parts.params };
}

/** Runs the stage request in this process (a BullMQ sandbox: a child process of the worker). */
async function run(
  stage: ResolvedStage,
  _data: ShardJobData,
  request: ReturnType<typeof buildRequest>,
  ctx: JobContext,
): Promise<Record<string, ObjectRef>> {
  let final: WorkerMessage | undefined;
  await executeStage(
    request,
    (m) => {
      if (m.type === "progress") ctx.progress(m.fraction, m.detail);
      else if (m.type === "warning") ctx.warn(`${stage.name}: ${m.message}`);
      else if (m.type !== "log") final = m;
    },
    ctx.signal,
  );
  if (final?.type === "done") return final.outputs;
  if (final?.type === "corrupt-input") throw new Error(`input ${final.slot} ${final.why}`);
  const error = final?.type === "error" ? final.error : { message: "the stage ended without a result" };
  throw new Error(`${stage.name}: ${error.message}`);
}
