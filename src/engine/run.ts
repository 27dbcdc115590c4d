import { existsSync } from "node:fs";
import type { FileHasher } from "../cache/file-hash.ts";
import type { CacheEntry, CacheStore, ObjectRef } from "../cache/store.ts";
import type { PipelineEvent, RunReason, StageResult } from "../core/events.ts";
import { EXIT, PipelineError } from "../core/errors.ts";
import type { ResolvedPipeline, ResolvedStage } from "../core/graph.ts";
import { keyChanges, keyPartsFor, stageKey, type KeyParts } from "../core/keys.ts";
import type { RemoteTier } from "../remote/tier.ts";
import { entryMismatch } from "./entry-check.ts";
import type { StageRequest, WorkerMessage } from "./protocol.ts";
import { materializeOutputs, MissingObjectError } from "./outputs.ts";
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
  store: CacheStore;
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
      const early = decideWithoutRunning(stage, req, walk.known, walk.results, walk.stopping);
      if (early) {
        settle(walk, early);
        continue;
      }
      const parts = computeParts(stage, req, walk.known) as KeyParts;
      const more = walk.pending.some((n) => req.scope.has(n));
      running.set(name, resolveMiss(stage, parts, req, more, walk.known).then((outcome) => {
        running.delete(name);
        if (outcome.type === "corrupt") return retryAfterCorruptInput(walk, stage, parts, outcome.slot, req);
        settle(walk, outcome.result);
        if (outcome.result.status === "failed") walk.stopping ||= !req.keepGoing;
      }));
    }
    if (running.size > 0) await Promise.race(running.values());
  }
  const ordered = pipeline.order.map((n) => walk.results.get(n)!);
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
function retryAfterCorruptInput(walk: Walk, stage: ResolvedStage, parts: KeyParts, slot: string, req: RunRequest): void {
  const producer = stage.inputs.find((b) => b.kind === "ref" && b.slot === slot);
  const tries = (walk.retries.get(stage.name) ?? 0) + 1;
  walk.retries.set(stage.name, tries);
  if (producer?.kind === "ref" && tries <= 2) {
    const prior = walk.results.get(producer.stage);
    if (prior?.key) req.store.deleteEntry(producer.stage, prior.key);
    if (prior?.key) req.remote?.reject(prior.key);
    walk.results.delete(producer.stage);
    for (const key of [...walk.known.keys()]) if (key.startsWith(`${producer.stage}.`)) walk.known.delete(key);
    walk.pending.unshift(producer.stage, stage.name);
    walk.pending.sort((a, b) => req.pipeline.order.indexOf(a) - req.pipeline.order.indexOf(b));
    return;
  }
  settle(walk, fail(req, stage, parts, "an input object in the cache is damaged and could not be rebuilt", "run `pipeline cache verify`, then run again", EXIT.stageFailed));
  walk.stopping ||= !req.keepGoing;
}

/** Every decision that needs no worker: skipped, waiting, cached, dry-run, missing input file. */
function decideWithoutRunning(
  stage: ResolvedStage,
  req: RunRequest,
  known: Map<string, ObjectRef>,
  results: Map<string, StageResult>,
  stopping: boolean,
): StageResult | undefined {
  const name = stage.name;
  const inScope = req.scope.has(name);
  const blockedBy = failedUpstream(stage, results);
  if (blockedBy.length > 0) return skip(req, name, `not run because ${blockedBy.join(", ")} failed`, { blockedBy });
  if (inScope && stopping) return skip(req, name, "not run: an earlier stage failed (use --keep-going to run independent stages)");
  const missingFile = stage.inputs.find((b) => b.kind === "file" && !existsSync(b.path));
  if (missingFile?.kind === "file") {
    if (!inScope) return skip(req, name, "not selected");
    return fail(req, stage, undefined, `input ${missingFile.slot}: ${missingFile.display} does not exist`, "create it (for the demo: `pipeline demo-data`) or fix the path in pipeline.yaml", EXIT.stageFailed);
  }
  const parts = computeParts(stage, req, known);
  if ("waitingOn" in parts) {
    if (!inScope) return skip(req, name, "not selected");
    if (req.dryRun) return skip(req, name, `waiting on ${parts.waitingOn.join(", ")} (decided after it runs; may still be cached)`);
    return fail(req, stage, undefined, `its input ${parts.waitingOn.join(", ")} is not in the cache`, `run \`pipeline run --until ${name}\` first`, EXIT.stageFailed);
  }
  const key = stageKey(parts);
  const isEffect = stage.def.effect === true;
  if (!inScope) {
    const entry = isEffect ? undefined : usableEntry(stage, key, req);
    const because = isEffect ? "an effect: runs only with --publish or when named" : "not selected";
    return skip(req, name, because, entry ? { key, parts, outputs: entry.outputs } : { key, parts });
  }
  if (!isEffect && !req.forced.has(name)) {
    const entry = usableEntry(stage, key, req);
    if (entry) {
      const written = writeDeclared(stage, entry.outputs, req);
      if (written instanceof PipelineError) return fail(req, stage, parts, written.message, written.hint, written.exitCode);
      if (written === "ok") {
        req.emit({ type: "stage:cached", stage: name, key });
        return { name, status: "cached", ms: 0, key, reason: "cached", parts: { ...parts }, outputs: entry.outputs, from: "local" };
      }
      req.store.deleteEntry(name, key); // an object its output file is made from vanished: rerun below
    }
  }
  return undefined;
}

type Outcome = { type: "result"; result: StageResult } | { type: "corrupt"; slot: string };

/**
 * A stage the local cache does not hold: a hit on the remote (its declared outputs fetched),
 * else in a dry run what would run and why, else its missing inputs are fetched and it runs.
 */
async function resolveMiss(stage: ResolvedStage, parts: KeyParts, req: RunRequest, more: boolean, known: ReadonlyMap<string, ObjectRef>): Promise<Outcome> {
  const key = stageKey(parts);
  if (req.remote && stage.def.effect !== true && !req.forced.has(stage.name)) {
    const hit = await remoteHit(stage, parts, req.remote, req);
    if (hit) return { type: "result", result: hit };
  }
  if (req.dryRun) {
    const reasons = reasonsFor(stage, parts, req);
    req.emit({ type: "stage:would-run", stage: stage.name, key, reasons: reasons.map((r) => r.detail) });
    return { type: "result", result: { name: stage.name, status: "would-run", ms: 0, key, reason: `would run: ${prose(reasons)}`, parts: { ...parts }, reasons } };
  }
  for (const b of stage.inputs) {
    if (b.kind !== "ref") continue;
    const ref = known.get(`${b.stage}.${b.output}`);
    if (req.remote && ref && !(await req.remote.ensureLocal(ref))) return { type: "corrupt", slot: b.slot };
  }
  return executeOne(stage, parts, req, more);
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
    const written = writeDeclared(stage, entry.outputs, req);
    if (written instanceof PipelineError) return fail(req, stage, parts, written.message, written.hint, written.exitCode);
    if (written === "missing-object") {
      remote.reject(key);
      return undefined;
    }
  }
  if (!req.dryRun) remote.keepIfComplete(key);
  req.emit({ type: "stage:cached", stage: stage.name, key, from: "remote" });
  return { name: stage.name, status: "cached", ms: 0, key, reason: "cached on the remote", parts: { ...parts }, outputs: entry.outputs, from: "remote" };
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
function usableEntry(stage: ResolvedStage, key: string, req: RunRequest): CacheEntry | undefined {
  const entry = req.store.getEntry(stage.name, key);
  if (!entry) return undefined;
  const mismatch = entryMismatch(entry, stage.def, req.store);
  if (!mismatch) return entry;
  req.emit({ type: "warning", stage: stage.name, message: `cache entry for ${stage.name} (${key.slice(0, 12)}) is damaged: ${mismatch}; deleted, the stage will rerun` });
  req.store.deleteEntry(stage.name, key);
  return undefined;
}

async function executeOne(stage: ResolvedStage, parts: KeyParts, req: RunRequest, more: boolean): Promise<Outcome> {
  const key = stageKey(parts);
  const reasons = reasonsFor(stage, parts, req);
  req.emit({ type: "stage:start", stage: stage.name, key, reasons: reasons.map((r) => r.detail) });
  const started = performance.now();
  const request = buildRequest(stage, parts, req);
  const message = await req.execute(request, {
    onLog: (m) => req.emit({ type: "stage:log", stage: stage.name, message: m }),
    onWarning: (m) => req.emit({ type: "warning", stage: stage.name, message: m.startsWith(`${stage.def.name}: `) ? m : `${stage.name}: ${m}` }),
    onProgress: (fraction, detail) => req.emit({ type: "stage:progress", stage: stage.name, fraction, ...(detail ? { detail } : {}) }),
  }, req.signal, more);
  const ms = Math.round(performance.now() - started);
  if (message.type === "corrupt-input") {
    req.emit({ type: "warning", stage: stage.name, message: `${stage.name}: cache object for input ${message.slot} ${message.why}; rebuilding it` });
    return { type: "corrupt", slot: message.slot };
  }
  if (message.type === "error") {
    const err = message.error;
    if (err.code === "E_INPUT_CHANGED") forgetInputFiles(stage, req);
    const isBug = err.exitCode === undefined && err.name !== "CancelledError";
    const text = isBug ? `${err.message}${err.stack ? `\n${err.stack.split("\n").slice(1, 6).join("\n")}` : ""}` : err.message;
    const hint = err.hint ?? (isBug ? "this looks like a bug in the stage; please report it with `pipeline status --json`" : undefined);
    return { type: "result", result: fail(req, stage, parts, text, hint, err.exitCode ?? EXIT.stageFailed, ms) };
  }
  if (stage.def.effect !== true) {
    const entry = req.store.putEntry({
      stage: stage.name,
      key,
      parts: { ...parts },
      outputs: message.outputs,
      ms,
      created: new Date().toISOString(),
      ...(req.runId ? { run: req.runId } : {}),
      ...(req.ciJob ? { ci_job: req.ciJob } : {}),
    });
    req.remote?.push(entry);
  }
  const written = writeDeclared(stage, message.outputs, req);
  if (written instanceof PipelineError) return { type: "result", result: fail(req, stage, parts, written.message, written.hint, written.exitCode, ms) };
  if (written === "missing-object") {
    // the objects it just stored vanished or were damaged before they could be written out
    req.store.deleteEntry(stage.name, key);
    const text = "its declared output files could not be written: the cache objects they are made from vanished or were damaged right after the stage stored them";
    return { type: "result", result: fail(req, stage, parts, text, "run `pipeline cache verify`, check the disk holding cache/, then run again", EXIT.stageFailed, ms) };
  }
  req.emit({ type: "stage:done", stage: stage.name, key, ms });
  return { type: "result", result: { name: stage.name, status: "ran", ms, key, reason: prose(reasons), parts: { ...parts }, outputs: message.outputs, reasons } };
}

function buildRequest(stage: ResolvedStage, parts: KeyParts, req: RunRequest): StageRequest {
  const inputs: StageRequest["inputs"] = {};
  for (const b of stage.inputs) {
    if (b.kind === "file") inputs[b.slot] = { kind: "path", file: { path: b.path, display: b.display, hash: parts.sources[b.slot]! } };
    else inputs[b.slot] = { kind: stage.def.inputs[b.slot]!.kind as never, hash: parts.inputs[b.slot]!, expect: producerSlot(b.stage, b.output, req) };
  }
  return {
    stage: stage.name,
    uses: stage.def.name,
    plugins: req.plugins,
    projectDir: req.pipeline.dir,
    cacheRoot: req.store.root,
    params: stage.params,
    seed: parts.seed,
    threads: req.threads,
    inputs,
  };
}

function computeParts(stage: ResolvedStage, req: RunRequest, known: Map<string, ObjectRef>): KeyParts | { waitingOn: string[] } {
  const hashes = new Map([...known].map(([k, v]) => [k, v.hash]));
  return keyPartsFor(stage, req.pipeline.seed, req.code.get(stage.name) ?? "", hashes, (p) => req.hasher.hash(p));
}

/** What the producing stage declares about the output a ref input reads (checked once decoded). */
function producerSlot(stage: string, output: string, req: RunRequest): { fields?: readonly string[]; columns?: readonly string[]; producer: string } {
  const spec = req.pipeline.stages.get(stage)?.def.outputs[output];
  return { producer: `${stage}.${output}`, ...(spec?.fields ? { fields: spec.fields } : {}), ...(spec?.columns ? { columns: spec.columns } : {}) };
}

/** The stat cache must not vouch for a file that changed under a stage: hash it afresh next time. */
function forgetInputFiles(stage: ResolvedStage, req: RunRequest): void {
  for (const b of stage.inputs) if (b.kind === "file") req.hasher.forget(b.path);
}

function reasonsFor(stage: ResolvedStage, parts: KeyParts, req: RunRequest): RunReason[] {
  if (stage.def.effect === true) return [{ code: "effect", detail: "an effect: never cached" }];
  if (req.forced.has(stage.name)) return [{ code: "forced", detail: "forced" }];
  const before = req.previousParts(stage.name);
  if (!before) return [{ code: "never-run", detail: "never run before" }];
  const changes = keyChanges(before, parts).map((c) => ({ code: c.part, detail: c.detail }));
  return changes.length > 0 ? changes : [{ code: "entry-missing", detail: "its cache entry is missing (removed by gc, or damaged)" }];
}

function prose(reasons: readonly RunReason[]): string {
  return reasons.map((r) => r.detail).join("; ");
}

/** Writes the stage's declared output files; a vanished cache object or a write error is returned. */
function writeDeclared(stage: ResolvedStage, outputs: Record<string, ObjectRef>, req: RunRequest): "ok" | "missing-object" | PipelineError {
  if (!req.writeOutputs) return "ok";
  try {
    for (const path of materializeOutputs(stage.outputs, outputs, req.store, req.hasher, req.pipeline.dir)) {
      req.emit({ type: "output:written", stage: stage.name, path });
    }
    return "ok";
  } catch (error) {
    if (error instanceof MissingObjectError) return "missing-object";
    if (error instanceof PipelineError) return error;
    throw error;
  }
}

function skip(req: RunRequest, name: string, because: string, extra: Partial<StageResult> = {}): StageResult {
  req.emit({ type: "stage:skipped", stage: name, because });
  return { name, status: "skipped", ms: 0, key: null, reason: because, ...extra };
}

function fail(req: RunRequest, stage: ResolvedStage, parts: KeyParts | undefined, text: string, hint: string | undefined, exitCode: number, ms = 0): StageResult {
  // stages name themselves in their messages; the reporter already does
  const message = text.startsWith(`${stage.def.name}: `) ? text.slice(stage.def.name.length + 2) : text;
  req.emit({ type: "stage:failed", stage: stage.name, message, ...(hint ? { hint } : {}) });
  return { name: stage.name, status: "failed", ms, key: parts ? stageKey(parts) : null, reason: message, exitCode, ...(hint ? { hint } : {}), ...(parts ? { parts: { ...parts } } : {}) };
}

/** 130 if interrupted, 4 if only publish failed to deliver, 1 for any other failure. */
function exitCodeOf(results: readonly StageResult[]): number {
  const codes = results.filter((r) => r.status === "failed").map((r) => r.exitCode ?? EXIT.stageFailed);
  if (codes.length === 0) return EXIT.ok;
  if (codes.includes(EXIT.interrupted)) return EXIT.interrupted;
  if (codes.every((c) => c === EXIT.publish)) return EXIT.publish;
  return EXIT.stageFailed;
}
