import type { FileRef, SlotKind } from "../core/artifact.ts";
import type { ObjectRef } from "../cache/entries.ts";
import type { CommandSpec } from "../core/command.ts";

/** What the engine asks a stage worker to do. Inputs are cache object hashes; data only as shared memory. */
export interface StageRequest {
  stage: string;
  uses: string;
  plugins: string[];
  projectDir: string;
  cacheRoot: string;
  params: unknown;
  seed: number;
  threads: number;
  inputs: Record<string, { kind: SlotKind; hash: string; expect: ProducedSlot } | { kind: "path"; file: FileRef & { hash: string } }>;
  /** a sharded stage (StageDef.shards): compute this one shard's partial outputs */
  shard?: { index: number; count: number };
  /** a sharded stage: merge these shards' partial outputs (slot -> object), in shard order */
  merge?: Record<string, ObjectRef>[];
  /** a command stage: the worker builds its definition from this (it is in no registry) */
  command?: CommandSpec;
  /** matrix inputs the engine already read into shared memory (hash -> verified bytes), see shared-inputs.ts */
  shared?: Record<string, Uint8Array>;
}

/** What the stage that produced an input declares about it; the worker checks it once decoded. */
export interface ProducedSlot {
  /** "stage.output", for messages */
  producer: string;
  fields?: readonly string[];
  columns?: readonly string[];
}

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  exitCode?: number;
  hint?: string;
  stack?: string;
}

export type WorkerMessage =
  | { type: "log"; message: string }
  | { type: "warning"; message: string }
  | { type: "progress"; fraction: number; detail?: string }
  | { type: "done"; outputs: Record<string, ObjectRef> }
  | { type: "corrupt-input"; slot: string; hash: string; why: string }
  | { type: "error"; error: SerializedError };

/** What the engine sends a stage worker: the stage to run (once), or a request to stop. */
export type ControlMessage = { type: "run"; request: StageRequest } | { type: "abort" };
