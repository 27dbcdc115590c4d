import { byteLength } from "../cache/byte-parts.ts";
import { decodeArtifact, encodeArtifactParts } from "../cache/codec.ts";
import type { CacheDriver } from "../cache/driver.ts";
import type { ObjectRef } from "../cache/entries.ts";
import { LocalDriver } from "../cache/local-driver.ts";
import type { FileRef, SlotKind } from "../core/artifact.ts";
import { CancelledError, describeError, PipelineError } from "../core/errors.ts";
import { slotMismatch } from "../core/slot-check.ts";
import { assertInputUnchanged } from "../io/input-file.ts";
import { createRng } from "../core/rng.ts";
import type { AnyStage, OutputSlot, StageContext } from "../core/stage.ts";
import type { ProducedSlot, SerializedError, StageRequest, WorkerMessage } from "./protocol.ts";
import { loadStageDef } from "./registry.ts";
import { commandStage } from "../command/stage.ts";

/**
 * Runs one stage: decode its inputs from the cache, call run(), encode and store its outputs.
 * The engine calls this inside a worker thread (stage-worker.ts); tests may call it inline.
 */
export async function executeStage(request: StageRequest, post: (message: WorkerMessage) => void, signal: AbortSignal): Promise<void> {
  try {
    const store = new LocalDriver(request.cacheRoot);
    const def = request.command
      ? commandStage(request.stage, request.command, store.tmpDir)
      : await loadStageDef(request.uses, request.plugins, request.projectDir);
    if (!def) throw new Error(`stage ${request.uses} is not registered`);
    const inputs: Record<string, unknown> = {};
    const files: FileRef[] = [];
    for (const [slot, input] of Object.entries(request.inputs)) {
      if (input.kind === "path") {
        const file: FileRef = { ...input.file };
        files.push(file);
        inputs[slot] = file;
        continue;
      }
      const decoded = await decodeInput(store, input, request.shared?.[input.hash]);
      if ("why" in decoded) {
        post({ type: "corrupt-input", slot, hash: input.hash, why: decoded.why });
        return;
      }
      inputs[slot] = decoded.value;
    }
    let lastProgress = 0;
    const ctx: StageContext<unknown, never> = {
      params: request.params,
      inputs: inputs as never,
      seed: request.seed,
      rng: createRng(request.seed),
      threads: request.threads,
      signal,
      log: (message) => post({ type: "log", message }),
      warn: (message) => post({ type: "warning", message }),
      progress: (fraction, detail) => {
        const now = performance.now();
        if (now - lastProgress < 100 && fraction < 1) return; // keep the message rate sane
        lastProgress = now;
        post({ type: "progress", fraction, ...(detail ? { detail } : {}) });
      },
      now: () => performance.now(),
    };
    const produced = await produce(def, ctx, request, store);
    if ("corrupt" in produced) {
      post({ type: "corrupt-input", slot: produced.corrupt.slot, hash: produced.corrupt.hash, why: produced.corrupt.why });
      return;
    }
    const { outputs, slots } = produced;
    if (signal.aborted) throw new CancelledError(`stage ${request.stage}`);
    for (const file of files) assertInputUnchanged(file);
    const refs: Record<string, ObjectRef> = {};
    for (const [slot, spec] of Object.entries(slots)) {
      if (!(slot in outputs)) throw new Error(`stage ${request.uses} returned no "${slot}" output`);
      const bytes = await encodeArtifactParts(spec.kind as SlotKind, outputs[slot] as never);
      refs[slot] = { hash: await store.writeObject(bytes), size: byteLength(bytes), kind: spec.kind as SlotKind };
    }
    post({ type: "done", outputs: refs });
  } catch (error) {
    post({ type: "error", error: serializeError(error) });
  }
}

type Produced =
  | { outputs: Record<string, unknown>; slots: Record<string, OutputSlot> }
  | { corrupt: { slot: string; hash: string; why: string } };

/** The stage's outputs (a whole run, one shard's partial outputs, or the merge of every shard's) and their slots. */
async function produce(def: AnyStage, ctx: StageContext<unknown, never>, request: StageRequest, store: CacheDriver): Promise<Produced> {
  if (!request.shard && !request.merge) return { outputs: (await def.run(ctx as never)) as Record<string, unknown>, slots: def.outputs };
  if (!def.shards) throw new Error(`stage ${request.uses} cannot be sharded`);
  if (request.shard) return { outputs: await def.shards.run({ ...ctx, shard: request.shard } as never), slots: def.shards.outputs };
  const shards: Record<string, unknown>[] = [];
  for (const [index, refs] of request.merge!.entries()) {
    const values: Record<string, unknown> = {};
    for (const [slot, spec] of Object.entries(def.shards.outputs)) {
      const ref = refs[slot]!;
      const expect = { producer: `${request.stage} shard ${index}.${slot}`, ...spec };
      const decoded = await decodeInput(store, { kind: spec.kind, hash: ref.hash, expect });
      if ("why" in decoded) return { corrupt: { slot: `shard:${index}`, hash: ref.hash, why: decoded.why } };
      values[slot] = decoded.value;
    }
    shards.push(values);
  }
  return { outputs: (await def.shards.merge(ctx as never, shards)) as Record<string, unknown>, slots: def.outputs };
}

/**
 * An input object decoded and checked against what its producer declares; `why` when it is
 * missing, damaged, or not that output (an entry pointed at another stage's object).
 */
async function decodeInput(
  store: CacheDriver,
  input: { kind: SlotKind; hash: string; expect: ProducedSlot },
  shared?: Uint8Array,
): Promise<{ value: unknown } | { why: string }> {
  // a matrix is shared, so a stage's helper threads read it in place instead of each copying it
  const bytes = shared ?? (await store.readObject(input.hash, { shared: input.kind === "matrix" }));
  if (!bytes) return { why: "is missing or damaged" };
  let value: unknown;
  try {
    value = decodeArtifact(input.kind, bytes);
  } catch (error) {
    return { why: `does not decode as a ${input.kind} (${describeError(error)})` };
  }
  const mismatch = slotMismatch({ kind: input.kind, ...input.expect }, value);
  return mismatch ? { why: `is not ${input.expect.producer}: ${mismatch}` } : { value };
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof PipelineError) {
    return {
      name: error.name,
      message: error.message,
      code: error.code,
      exitCode: error.exitCode,
      ...(error.hint ? { hint: error.hint } : {}),
    };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: "Error", message: String(error) };
}
