/**
 * One stage that must run: in a worker, with its key's input files and objects, its outputs
 * stored as a sealed entry (and offered to the remote), its declared files written.
 */
import { writeSealedEntry, type ObjectRef } from "../cache/entries.ts";
import { LOG_LINE_CHARS, LOG_TAIL_LINES, type RunReason, type StageResult } from "../core/events.ts";
import { EXIT, PipelineError } from "../core/errors.ts";
import type { ResolvedStage } from "../core/graph.ts";
import { stageKey, type KeyParts } from "../core/keys.ts";
import { materializeOutputs, MissingObjectError } from "./outputs.ts";
import type { StageRequest } from "./protocol.ts";
import type { WorkerHooks } from "./run-worker.ts";
import type { Outcome, RunRequest } from "./run.ts";

/** How a sharded stage's merge runs through executeOne (run-sharded.ts). */
export interface MergeStep {
  /** each shard's partial outputs, in shard order */
  shards: Record<string, ObjectRef>[];
  /** when its shards started (the stage's time counts them); stage:start was emitted then */
  started: number;
  /** what the result records about the shards */
  summary: NonNullable<StageResult["shards"]>;
}

export async function executeOne(
  stage: ResolvedStage,
  parts: KeyParts,
  reasons: RunReason[],
  req: RunRequest,
  more: boolean,
  merge?: MergeStep,
): Promise<Outcome> {
  const key = stageKey(parts);
  if (!merge) req.emit({ type: "stage:start", stage: stage.name, key, reasons: reasons.map((r) => r.detail) });
  const started = merge?.started ?? performance.now();
  const request = merge
    ? { ...buildRequest(stage, parts, req, stage.def.shards?.mergeInputs), merge: merge.shards }
    : buildRequest(stage, parts, req);
  const logged: string[] = [];
  const hooks = stageHooks(stage, req);
  const onLog = (m: string) => {
    keepTail(logged, m);
    hooks.onLog?.(m);
  };
  const message = await req.execute(request, { ...hooks, onLog }, req.signal, more);
  const ms = Math.round(performance.now() - started);
  if (message.type === "corrupt-input") {
    req.emit({
      type: "warning",
      stage: stage.name,
      message: `${stage.name}: cache object for input ${message.slot} ${message.why}; rebuilding it`,
    });
    return { type: "corrupt", slot: message.slot };
  }
  if (message.type === "error") {
    const err = message.error;
    if (err.code === "E_INPUT_CHANGED") forgetInputFiles(stage, req);
    const isBug = err.exitCode === undefined && err.name !== "CancelledError";
    const text = isBug ? `${err.message}${err.stack ? `\n${err.stack.split("\n").slice(1, 6).join("\n")}` : ""}` : err.message;
    const hint = err.hint ?? (isBug ? "this looks like a bug in the stage; please report it with `pipeline status --json`" : undefined);
    return { type: "result", result: { ...fail(req, stage, parts, text, hint, err.exitCode ?? EXIT.stageFailed, ms), ...withLog(logged) } };
  }
  const entry =
    stage.def.effect === true
      ? undefined
      : await writeSealedEntry(req.store, {
          stage: stage.name,
          key,
          parts: { ...parts },
          outputs: message.outputs,
          ms,
          created: new Date().toISOString(),
          ...(req.runId ? { run: req.runId } : {}),
          ...(req.ciJob ? { ci_job: req.ciJob } : {}),
        });
  const written = await writeDeclared(stage, message.outputs, req);
  if (written instanceof PipelineError) return failed(req, stage, parts, written.message, written.hint, written.exitCode, ms);
  if (written === "missing-object") {
    // the objects it just stored vanished or were damaged before they could be written out
    await req.store.deleting.deleteEntry(stage.name, key);
    const text =
      "its declared output files could not be written: " +
      "the cache objects they are made from vanished or were damaged right after the stage stored them";
    return failed(
      req,
      stage,
      parts,
      text,
      "run `pipeline cache verify`, check the disk holding cache/, then run again",
      EXIT.stageFailed,
      ms,
    );
  }
  if (entry) req.remote?.push(entry); // only an entry whose declared files could be written travels
  req.emit({ type: "stage:done", stage: stage.name, key, ms });
  const shards = merge ? { shards: merge.summary } : {};
  const result: StageResult = { name: stage.name, status: "ran", ms, key, reason: prose(reasons), parts: { ...parts } };
  result.outputs = message.outputs;
  return { type: "result", result: { ...result, reasons, ...shards, ...withLog(logged) } };
}

/** Keeps the last LOG_TAIL_LINES lines of what a stage logged (a message may hold several), each cut short. */
function keepTail(tail: string[], message: string): void {
  for (const line of message.split("\n")) tail.push(line.length > LOG_LINE_CHARS ? `${line.slice(0, LOG_LINE_CHARS)}...` : line);
  if (tail.length > LOG_TAIL_LINES) tail.splice(0, tail.length - LOG_TAIL_LINES);
}

function withLog(logged: readonly string[]): Pick<StageResult, "log"> {
  return logged.length > 0 ? { log: [...logged] } : {};
}

/** A stage worker's hooks: its log lines, warnings and progress become the stage's events. */
export function stageHooks(stage: ResolvedStage, req: RunRequest, detail?: string): WorkerHooks {
  return {
    onLog: (m) => req.emit({ type: "stage:log", stage: stage.name, message: m }),
    onWarning: (m) => {
      const message = m.startsWith(`${stage.def.name}: `) ? m : `${stage.name}: ${m}`;
      req.emit({ type: "warning", stage: stage.name, message });
    },
    onProgress: (fraction, d) => {
      const shown = d ?? detail;
      req.emit({ type: "stage:progress", stage: stage.name, fraction, ...(shown ? { detail: shown } : {}) });
    },
  };
}

/** The worker request for the stage; `only` keeps just those input slots (a merge reads few). */
export function buildRequest(stage: ResolvedStage, parts: KeyParts, req: RunRequest, only?: readonly string[]): StageRequest {
  const inputs: StageRequest["inputs"] = {};
  for (const b of stage.inputs) {
    if (only && !only.includes(b.slot)) continue;
    if (b.kind === "file") inputs[b.slot] = { kind: "path", file: { path: b.path, display: b.display, hash: parts.sources[b.slot]! } };
    else
      inputs[b.slot] = {
        kind: stage.def.inputs[b.slot]!.kind as never,
        hash: parts.inputs[b.slot]!,
        expect: producerSlot(b.stage, b.output, req),
      };
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
    ...(stage.command ? { command: stage.command } : {}),
  };
}

/** What the producing stage declares about the output a ref input reads (checked once decoded). */
function producerSlot(
  stage: string,
  output: string,
  req: RunRequest,
): { fields?: readonly string[]; columns?: readonly string[]; producer: string } {
  const spec = req.pipeline.stages.get(stage)?.def.outputs[output];
  return {
    producer: `${stage}.${output}`,
    ...(spec?.fields ? { fields: spec.fields } : {}),
    ...(spec?.columns ? { columns: spec.columns } : {}),
  };
}

/** The stat cache must not vouch for a file that changed under a stage: hash it afresh next time. */
function forgetInputFiles(stage: ResolvedStage, req: RunRequest): void {
  for (const b of stage.inputs) if (b.kind === "file") req.hasher.forget(b.path);
}

export function prose(reasons: readonly RunReason[]): string {
  return reasons.map((r) => r.detail).join("; ");
}

/** Writes the stage's declared output files; a vanished cache object or a write error is returned. */
export async function writeDeclared(
  stage: ResolvedStage,
  outputs: Record<string, ObjectRef>,
  req: RunRequest,
): Promise<"ok" | "missing-object" | PipelineError> {
  if (!req.writeOutputs) return "ok";
  try {
    for (const path of await materializeOutputs(stage.outputs, outputs, req.store, req.hasher, req.pipeline.dir)) {
      req.emit({ type: "output:written", stage: stage.name, path });
    }
    return "ok";
  } catch (error) {
    if (error instanceof MissingObjectError) return "missing-object";
    if (error instanceof PipelineError) return error;
    throw error;
  }
}

/** A failed stage as the walk's outcome. */
export function failed(...args: Parameters<typeof fail>): Outcome {
  return { type: "result", result: fail(...args) };
}

export function fail(
  req: RunRequest,
  stage: ResolvedStage,
  parts: KeyParts | undefined,
  text: string,
  hint: string | undefined,
  exitCode: number,
  ms = 0,
): StageResult {
  // stages name themselves in their messages; the reporter already does
  const message = text.startsWith(`${stage.def.name}: `) ? text.slice(stage.def.name.length + 2) : text;
  req.emit({ type: "stage:failed", stage: stage.name, message, ...(hint ? { hint } : {}) });
  return {
    name: stage.name,
    status: "failed",
    ms,
    key: parts ? stageKey(parts) : null,
    reason: message,
    exitCode,
    ...(hint ? { hint } : {}),
    ...(parts ? { parts: { ...parts } } : {}),
  };
}
