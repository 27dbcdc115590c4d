import { existsSync } from "node:fs";
import type { FileHasher } from "../cache/file-hash.ts";
import { lookUpEntry, type CacheEntry, type ObjectRef } from "../cache/entries.ts";
import type { LocalDriver } from "../cache/local-driver.ts";
import type { PipelineEvent, StageResult } from "../core/events.ts";
import { EXIT, PipelineError } from "../core/errors.ts";
import type { ResolvedPipeline, ResolvedStage } from "../core/graph.ts";
import { keyPartsFor, stageKey, type KeyParts } from "../core/keys.ts";
import type { RemoteTier } from "../remote/tier.ts";
import { decideStage, needsLocalEntry, runReasons, type Decision, type StageFacts } from "./decide.ts";
import { entryMismatch } from "./entry-check.ts";
import { executeOne, fail, prose, writeDeclared } from "./run-stage.ts";
import { runSharded, type ShardPolicy } from "./run-sharded.ts";
import { withMetrics } from "./stage-metrics.ts";
import type { StageRequest, WorkerMessage } from "./protocol.ts";
import type { WorkerHooks } from "./run-worker.ts";

/** Runs one stage; `more` says whether other selected stages are still waiting to start. */
export type Executor = (
  request: StageRequest,
  hooks: WorkerHooks,
  signal: AbortSignal,
  more: boolean,
) => Promise<Extract<WorkerMessage, { type: "done" | "error" | "corrupt-input" }>>;

export interface RunRequest {
  pipeline: ResolvedPipeline;
  /** the local tier, the working copy stage workers read (by path, through objectPath) */
  store: LocalDriver;
  hasher: FileHasher;
  /** stage -> code fingerprint */
  code: ReadonlyMap<string, string>;
  scope: ReadonlySet<string>;
  forced: ReadonlySet<string>;
  jobs: number;
  threads: number;
  /** plan: compute keys and hits, run nothing; write outputs: materialize declared files */
  dryRun: boolean;
  writeOutputs: boolean;
  keepGoing: boolean;
  plugins: string[];
  signal: AbortSignal;
  previousParts(stage: string): Record<string, unknown> | undefined;
  emit(event: PipelineEvent): void;
  execute: Executor;
  /** the shared second tier, when one is configured */
  remote?: RemoteTier;
  /** recorded in the entries this run writes (explain names the run that produced an entry) */
  runId?: string;
  ciJob?: string;
  /** sharded stages: `--shard I/N`, `--shards N`, and where missing shards run (run-sharded.ts) */
  shards?: ShardPolicy;
}

export interface RunOutcome {
  ok: boolean;
  exitCode: number;
  results: StageResult[];
  /** "stage.output" -> object, for every output known at the end (check and report use it) */
  known: Map<string, ObjectRef>;
}

/**
 * Walks the DAG: a stage starts when its upstream stages have settled; its key is computed
 * from their output hashes; a hit restores, a miss runs in a worker. Up to `jobs` stages run
 * at once. A failure skips its dependents and, without keepGoing, everything not yet started.
 */
export async function runPipeline(req: RunRequest): Promise<RunOutcome> {
  const { pipeline } = req;
  const walk: Walk = { known: new Map(), results: new Map(), pending: [...pipeline.order], retries: new Map(), stopping: false };
  const running = new Map<string, Promise<void>>();
  const started = performance.now();

  req.emit({ type: "run:start", stages: pipeline.order.filter((n) => req.scope.has(n)) });
  while (walk.pending.length > 0 || running.size > 0) {
    for (const name of [...walk.pending]) {
      if (running.size >= req.jobs) break;
      const stage = pipeline.stages.get(name)!;
      if (stage.upstream.some((u) => walk.pending.includes(u) || running.has(u))) continue;
      walk.pending.splice(walk.pending.indexOf(name), 1);
      // decided one at a time, in the DAG's order, so events and results come in that order
      const now = await decideNow(stage, req, walk);
      if ("status" in now) {
        settle(walk, now);
        continue;
      }
      const { parts } = now;
      const more = walk.pending.some((n) => req.scope.has(n));
      running.set(
        name,
        resolveMiss(stage, now, req, more, walk.known).then(async (outcome) => {
          if (outcome.type === "corrupt") await retryAfterCorruptInput(walk, stage, parts, outcome.slot, req);
          else settle(walk, outcome.result);
          if (outcome.type === "result" && outcome.result.status === "failed") walk.stopping ||= !req.keepGoing;
          running.delete(name); // only now may its dependents (or, after a retry, its producer) be decided
        }),
      );
    }
    if (running.size > 0) await Promise.race(running.values());
  }
  const ordered = await Promise.all(pipeline.order.map((n) => withMetrics(walk.results.get(n)!, pipeline.stages.get(n)!, req.store)));
  const ok = ordered.every((r) => r.status !== "failed");
  req.emit({ type: "run:end", ok, ms: Math.round(performance.now() - started) });
  return { ok, exitCode: exitCodeOf(ordered), results: ordered, known: walk.known };
}

/** The walk's state: what is known, settled, still to do. */
interface Walk {
  known: Map<string, ObjectRef>;
  results: Map<string, StageResult>;
  pending: string[];
  retries: Map<string, number>;
  stopping: boolean;
}

function settle(walk: Walk, result: StageResult): void {
  walk.results.set(result.name, result);
  for (const [slot, ref] of Object.entries(result.outputs ?? {})) walk.known.set(`${result.name}.${slot}`, ref);
}

/**
 * A stage found one of its input objects damaged (its bytes no longer match their hash):
 * forget the producer's entry and queue both again, at most twice, then give up clearly.
 */
async function retryAfterCorruptInput(walk: Walk, stage: ResolvedStage, parts: KeyParts, slot: string, req: RunRequest): Promise<void> {
  const producer = stage.inputs.find((b) => b.kind === "ref" && b.slot === slot);
  const tries = (walk.retries.get(stage.name) ?? 0) + 1;
  walk.retries.set(stage.name, tries);
  if (producer?.kind === "ref" && tries <= 2) {
    const prior = walk.results.get(producer.stage);
    if (prior?.key) await req.store.deleting.deleteEntry(producer.stage, prior.key);
    if (prior?.key) req.remote?.reject(prior.key);
    walk.results.delete(producer.stage);
    for (const key of [...walk.known.keys()]) if (key.startsWith(`${producer.stage}.`)) walk.known.delete(key);
    walk.pending.unshift(producer.stage, stage.name);
    walk.pending.sort((a, b) => req.pipeline.order.indexOf(a) - req.pipeline.order.indexOf(b));
    return;
  }
  settle(
    walk,
    fail(
      req,
      stage,
      parts,
      "an input object in the cache is damaged and could not be rebuilt",
      "run `pipeline cache verify`, then run again",
      EXIT.stageFailed,
    ),
  );
  walk.stopping ||= !req.keepGoing;
}

/**
 * The stage's decision (decide.ts) from the facts gathered here, acted on when no worker is
 * needed: skipped, failed, or cached locally (its declared files written). Otherwise what to
 * look further for: the remote, then a run (or, in a dry run, a would-run).
 */
async function decideNow(stage: ResolvedStage, req: RunRequest, walk: Walk): Promise<StageResult | LookFurther> {
  const decision = decideStage(stage, await gatherFacts(stage, req, walk));
  switch (decision.kind) {
    case "skip": {
      const { detail, blockedBy, key, parts, outputs } = decision;
      return skip(req, stage.name, detail, {
        ...(blockedBy ? { blockedBy: [...blockedBy] } : {}),
        ...(key ? { key } : {}),
        ...(parts ? { parts } : {}),
        ...(outputs ? { outputs } : {}),
      });
    }
    case "fail":
      return fail(req, stage, undefined, decision.message, decision.hint, EXIT.stageFailed);
    case "cached": {
      const { key, parts, outputs } = decision;
      const written = await writeDeclared(stage, outputs, req);
      if (written instanceof PipelineError) return fail(req, stage, parts, written.message, written.hint, written.exitCode);
      if (written === "ok") {
        req.emit({ type: "stage:cached", stage: stage.name, key, from: "local" });
        return { name: stage.name, status: "cached", ms: 0, key, reason: "cached", parts: { ...parts }, outputs, from: "local" };
      }
      await req.store.deleting.deleteEntry(stage.name, key); // an object its output file is made from vanished: it reruns
      return { kind: "look-further", key, parts, reasons: runReasons(false, false, req.previousParts(stage.name), parts) };
    }
    case "look-further":
      return decision;
  }
}

type LookFurther = Extract<Decision, { kind: "look-further" }>;

/** What decideStage needs, looked up in the walk, the file system and the local cache. */
async function gatherFacts(stage: ResolvedStage, req: RunRequest, walk: Walk): Promise<StageFacts> {
  const inScope = req.scope.has(stage.name);
  const forced = req.forced.has(stage.name);
  const blockedBy = failedUpstream(stage, walk.results);
  const missing = stage.inputs.find((b) => b.kind === "file" && !existsSync(b.path));
  const decidedAlready = blockedBy.length > 0 || (inScope && walk.stopping) || missing !== undefined;
  const parts = decidedAlready ? undefined : computeParts(stage, req, walk.known);
  const looks = parts && !("waitingOn" in parts) && needsLocalEntry(stage, inScope, forced);
  const localEntry = looks ? await usableEntry(stage, stageKey(parts), req) : undefined;
  return {
    inScope,
    forced,
    dryRun: req.dryRun,
    stopping: walk.stopping,
    blockedBy,
    missingFile: missing ? { slot: missing.slot, display: missing.kind === "file" ? missing.display : missing.slot } : undefined,
    parts,
    localEntry,
    previousParts: req.previousParts(stage.name),
  };
}

export type Outcome = { type: "result"; result: StageResult } | { type: "corrupt"; slot: string };

/**
 * A stage the local cache does not hold: a hit on the remote (its declared outputs fetched),
 * else in a dry run what would run and why, else its missing inputs are fetched and it runs.
 */
async function resolveMiss(
  stage: ResolvedStage,
  decision: LookFurther,
  req: RunRequest,
  more: boolean,
  known: ReadonlyMap<string, ObjectRef>,
): Promise<Outcome> {
  const { key, parts, reasons } = decision;
  if (req.remote && stage.def.effect !== true && !req.forced.has(stage.name)) {
    const hit = await remoteHit(stage, parts, req.remote, req);
    if (hit) return { type: "result", result: hit };
  }
  if (req.dryRun) {
    req.emit({ type: "stage:would-run", stage: stage.name, key, reasons: reasons.map((r) => r.detail) });
    return {
      type: "result",
      result: { name: stage.name, status: "would-run", ms: 0, key, reason: `would run: ${prose(reasons)}`, parts: { ...parts }, reasons },
    };
  }
  // the input objects it reads, made local (a merge reads only a few); the slot that could not be had
  const ensureInputs = async (slots?: readonly string[]): Promise<string | undefined> => {
    for (const b of stage.inputs) {
      if (b.kind !== "ref" || (slots && !slots.includes(b.slot))) continue;
      const ref = known.get(`${b.stage}.${b.output}`);
      if (req.remote && ref && !(await req.remote.ensureLocal(ref))) return b.slot;
    }
    return undefined;
  };
  if (stage.def.shards && stage.def.effect !== true) {
    const inputs: Record<string, ObjectRef> = {};
    for (const b of stage.inputs) if (b.kind === "ref") inputs[b.slot] = known.get(`${b.stage}.${b.output}`)!;
    const sharded = await runSharded(stage, parts, reasons, req, more, inputs, ensureInputs);
    if (sharded) return sharded;
  }
  const missing = await ensureInputs();
  if (missing) return { type: "corrupt", slot: missing };
  return executeOne(stage, parts, reasons, req, more);
}

/**
 * The remote's entry for the stage, as a cached result. Only its declared output files' objects
 * are downloaded (and, in a run, written out); the rest travel when a stage that runs needs them.
 * When every object it names is then local, the entry is kept locally too.
 */
async function remoteHit(stage: ResolvedStage, parts: KeyParts, remote: RemoteTier, req: RunRequest): Promise<StageResult | undefined> {
  const key = stageKey(parts);
  const entry = await remote.lookup(stage.name, key, stage.def);
  if (!entry) return undefined;
  if (req.writeOutputs) {
    for (const binding of stage.outputs) {
      if (await remote.ensureLocal(entry.outputs[binding.slot]!)) continue;
      remote.reject(key);
      return undefined;
    }
    const written = await writeDeclared(stage, entry.outputs, req);
    if (written instanceof PipelineError) return fail(req, stage, parts, written.message, written.hint, written.exitCode);
    if (written === "missing-object") {
      remote.reject(key);
      return undefined;
    }
  }
  if (!req.dryRun) await remote.keepIfComplete(key);
  req.emit({ type: "stage:cached", stage: stage.name, key, from: "remote" });
  return {
    name: stage.name,
    status: "cached",
    ms: 0,
    key,
    reason: "cached on the remote",
    parts: { ...parts },
    outputs: entry.outputs,
    from: "remote",
  };
}

/** The stages whose failure keeps `stage` from running: failed upstream ones, and what blocked the skipped ones. */
function failedUpstream(stage: ResolvedStage, results: Map<string, StageResult>): string[] {
  const roots = new Set<string>();
  for (const up of stage.upstream) {
    const result = results.get(up);
    if (result?.status === "failed") roots.add(up);
    for (const root of result?.blockedBy ?? []) roots.add(root);
  }
  return [...roots].sort();
}

/**
 * The store's entry for `key` when it can hold this stage's outputs. One that cannot (its
 * objects are another stage's, or of another shape) is damaged: warned about, deleted, a miss.
 */
async function usableEntry(stage: ResolvedStage, key: string, req: RunRequest): Promise<CacheEntry | undefined> {
  const { entry, warning } = await lookUpEntry(req.store, stage.name, key);
  if (warning) req.emit({ type: "warning", stage: stage.name, message: warning });
  if (!entry) return undefined;
  const mismatch = await entryMismatch(entry, stage.def, req.store);
  if (!mismatch) return entry;
  req.emit({
    type: "warning",
    stage: stage.name,
    message: `cache entry for ${stage.name} (${key.slice(0, 12)}) is damaged: ${mismatch}; deleted, the stage will rerun`,
  });
  await req.store.deleting.deleteEntry(stage.name, key);
  return undefined;
}

function computeParts(stage: ResolvedStage, req: RunRequest, known: Map<string, ObjectRef>): KeyParts | { waitingOn: string[] } {
  const hashes = new Map([...known].map(([k, v]) => [k, v.hash]));
  return keyPartsFor(stage, req.pipeline.seed, req.code.get(stage.name) ?? "", hashes, (p) => req.hasher.hash(p));
}

function skip(req: RunRequest, name: string, because: string, extra: Partial<StageResult> = {}): StageResult {
  req.emit({ type: "stage:skipped", stage: name, because });
  return { name, status: "skipped", ms: 0, key: null, reason: because, ...extra };
}

/** 130 if interrupted, 4 if only publish failed to deliver, 1 for any other failure. */
function exitCodeOf(results: readonly StageResult[]): number {
  const codes = results.filter((r) => r.status === "failed").map((r) => r.exitCode ?? EXIT.stageFailed);
  if (codes.length === 0) return EXIT.ok;
  if (codes.includes(EXIT.interrupted)) return EXIT.interrupted;
  if (codes.every((c) => c === EXIT.publish)) return EXIT.publish;
  return EXIT.stageFailed;
}
