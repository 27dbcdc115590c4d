import { existsSync } from "node:fs";
import type { FileHasher } from "../cache/file-hash.ts";
import type { CacheStore, ObjectRef } from "../cache/store.ts";
import type { PipelineEvent, StageResult } from "../core/events.ts";
import { EXIT } from "../core/errors.ts";
import type { ResolvedPipeline, ResolvedStage } from "../core/graph.ts";
import { diffKeyParts, keyPartsFor, stageKey, type KeyParts } from "../core/keys.ts";
import type { StageRequest, WorkerMessage } from "./protocol.ts";
import { materializeOutputs } from "./outputs.ts";
import type { WorkerHooks } from "./run-worker.ts";

export type Executor = (
  request: StageRequest,
  hooks: WorkerHooks,
  signal: AbortSignal,
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
  const known = new Map<string, ObjectRef>();
  const results = new Map<string, StageResult>();
  const running = new Map<string, Promise<void>>();
  const pending = [...pipeline.order];
  const retries = new Map<string, number>();
  let stopping = false;

  const settle = (result: StageResult) => {
    results.set(result.name, result);
    if (result.outputs) for (const [slot, ref] of Object.entries(result.outputs)) known.set(`${result.name}.${slot}`, ref as ObjectRef);
  };

  req.emit({ type: "run:start", stages: pipeline.order.filter((n) => req.scope.has(n)) });
  while (pending.length > 0 || running.size > 0) {
    for (const name of [...pending]) {
      if (running.size >= req.jobs) break;
      const stage = pipeline.stages.get(name)!;
      const blocked = stage.upstream.find((u) => pending.includes(u) || running.has(u));
      if (blocked) continue;
      pending.splice(pending.indexOf(name), 1);
      const early = decideWithoutRunning(stage, req, known, results, stopping);
      if (early) {
        settle(early);
        continue;
      }
      const parts = computeParts(stage, req, known) as KeyParts;
      running.set(name, executeOne(stage, parts, req).then((outcome) => {
        running.delete(name);
        if (outcome.type === "corrupt") {
          // an input object was damaged: forget its producer's entry and run both again
          const producer = stage.inputs.find((b) => b.kind === "ref" && b.slot === outcome.slot);
          const tries = (retries.get(name) ?? 0) + 1;
          retries.set(name, tries);
          if (producer?.kind === "ref" && tries <= 2) {
            const prior = results.get(producer.stage);
            if (prior?.key) req.store.deleteEntry(producer.stage, prior.key);
            results.delete(producer.stage);
            for (const key of [...known.keys()]) if (key.startsWith(`${producer.stage}.`)) known.delete(key);
            pending.unshift(producer.stage, name);
            pending.sort((a, b) => pipeline.order.indexOf(a) - pipeline.order.indexOf(b));
            return;
          }
          settle(failure(stage, parts, "an input object in the cache is damaged and could not be rebuilt", 0));
          stopping ||= !req.keepGoing;
          return;
        }
        settle(outcome.result);
        if (outcome.result.status === "failed") stopping ||= !req.keepGoing;
      }));
    }
    if (running.size > 0) await Promise.race(running.values());
  }
  const ordered = pipeline.order.map((n) => results.get(n)!);
  req.emit({ type: "run:end", ok: ordered.every((r) => r.status !== "failed"), ms: 0 });
  return { ok: ordered.every((r) => r.status !== "failed"), exitCode: exitCodeOf(ordered), results: ordered, known };
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
  const failedUp = stage.upstream.filter((u) => results.get(u)?.status === "failed");
  if (failedUp.length > 0) return skip(req, name, `not run because ${failedUp.join(", ")} failed`);
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
    const entry = isEffect ? undefined : req.store.getEntry(name, key);
    const because = isEffect ? "an effect: runs only with --publish or when named" : "not selected";
    return skip(req, name, because, entry ? { key, parts, outputs: entry.outputs } : { key, parts });
  }
  if (!isEffect && !req.forced.has(name)) {
    const entry = req.store.getEntry(name, key);
    if (entry) {
      req.emit({ type: "stage:cached", stage: name, key });
      const result: StageResult = { name, status: "cached", ms: 0, key, reason: "cached", parts: { ...parts }, outputs: entry.outputs };
      if (req.writeOutputs) writeDeclared(stage, entry.outputs, req);
      return result;
    }
  }
  if (req.dryRun) {
    const reasons = reasonsFor(stage, parts, req);
    return skip(req, name, `dry run: would run (${reasons.join("; ")})`, { key, parts });
  }
  return undefined;
}

async function executeOne(stage: ResolvedStage, parts: KeyParts, req: RunRequest): Promise<{ type: "result"; result: StageResult } | { type: "corrupt"; slot: string }> {
  const key = stageKey(parts);
  const reasons = reasonsFor(stage, parts, req);
  req.emit({ type: "stage:start", stage: stage.name, key, reasons });
  const started = performance.now();
  const request = buildRequest(stage, parts, req);
  const message = await req.execute(request, {
    onLog: (m) => req.emit({ type: "stage:log", stage: stage.name, message: m }),
    onProgress: (fraction, detail) => req.emit({ type: "stage:progress", stage: stage.name, fraction, ...(detail ? { detail } : {}) }),
  }, req.signal);
  const ms = Math.round(performance.now() - started);
  if (message.type === "corrupt-input") {
    req.emit({ type: "warning", message: `${stage.name}: cache object for input ${message.slot} was damaged; rebuilding it` });
    return { type: "corrupt", slot: message.slot };
  }
  if (message.type === "error") {
    const err = message.error;
    const isBug = err.exitCode === undefined && err.name !== "CancelledError";
    const text = isBug ? `${err.message}${err.stack ? `\n${err.stack.split("\n").slice(1, 6).join("\n")}` : ""}` : err.message;
    const hint = err.hint ?? (isBug ? "this looks like a bug in the stage; please report it with `pipeline status --json`" : undefined);
    return { type: "result", result: fail(req, stage, parts, text, hint, err.exitCode ?? EXIT.stageFailed, ms) };
  }
  if (stage.def.effect !== true) {
    req.store.putEntry({ format: 1, stage: stage.name, key, parts: { ...parts }, outputs: message.outputs, ms, created: new Date().toISOString() });
  }
  if (req.writeOutputs) writeDeclared(stage, message.outputs, req);
  req.emit({ type: "stage:done", stage: stage.name, key, ms });
  return { type: "result", result: { name: stage.name, status: "ran", ms, key, reason: reasons.join("; "), parts: { ...parts }, outputs: message.outputs } };
}

function buildRequest(stage: ResolvedStage, parts: KeyParts, req: RunRequest): StageRequest {
  const inputs: StageRequest["inputs"] = {};
  for (const b of stage.inputs) {
    if (b.kind === "file") inputs[b.slot] = { kind: "path", file: { path: b.path, display: b.display } };
    else inputs[b.slot] = { kind: stage.def.inputs[b.slot]!.kind as never, hash: parts.inputs[b.slot]! };
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

function reasonsFor(stage: ResolvedStage, parts: KeyParts, req: RunRequest): string[] {
  if (stage.def.effect === true) return ["an effect: never cached"];
  if (req.forced.has(stage.name)) return ["forced"];
  const before = req.previousParts(stage.name);
  if (!before) return ["never run before"];
  const diff = diffKeyParts(before, parts);
  return diff.length > 0 ? diff : ["its cache entry is missing (removed by gc, or damaged)"];
}

function writeDeclared(stage: ResolvedStage, outputs: Record<string, ObjectRef>, req: RunRequest): void {
  for (const path of materializeOutputs(stage.outputs, outputs, req.store, req.hasher, req.pipeline.dir)) {
    req.emit({ type: "output:written", stage: stage.name, path });
  }
}

function skip(req: RunRequest, name: string, because: string, extra: Partial<StageResult> = {}): StageResult {
  req.emit({ type: "stage:skipped", stage: name, because });
  return { name, status: "skipped", ms: 0, key: null, reason: because, ...extra };
}

function fail(req: RunRequest, stage: ResolvedStage, parts: KeyParts | undefined, message: string, hint: string | undefined, exitCode: number, ms = 0): StageResult {
  req.emit({ type: "stage:failed", stage: stage.name, message, ...(hint ? { hint } : {}) });
  return { name: stage.name, status: "failed", ms, key: parts ? stageKey(parts) : null, reason: message, exitCode, ...(hint ? { hint } : {}), ...(parts ? { parts: { ...parts } } : {}) };
}

function failure(stage: ResolvedStage, parts: KeyParts, message: string, ms: number): StageResult {
  return { name: stage.name, status: "failed", ms, key: stageKey(parts), reason: message, exitCode: EXIT.stageFailed };
}

/** 130 if interrupted, 4 if only publish failed to deliver, 1 for any other failure. */
function exitCodeOf(results: readonly StageResult[]): number {
  const codes = results.filter((r) => r.status === "failed").map((r) => r.exitCode ?? EXIT.stageFailed);
  if (codes.length === 0) return EXIT.ok;
  if (codes.includes(EXIT.interrupted)) return EXIT.interrupted;
  if (codes.every((c) => c === EXIT.publish)) return EXIT.publish;
  return EXIT.stageFailed;
}
