import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import type { CacheDriver } from "../cache/driver.ts";
import type { ObjectRef } from "../cache/entries.ts";
import type { FileHasher } from "../cache/file-hash.ts";
import { writeFileAtomic } from "../cache/atomic.ts";
import { EXIT, PipelineError } from "../core/errors.ts";
import { sha256 } from "../core/hash.ts";
import type { OutputBinding } from "../core/graph.ts";

/** A cached artifact an output file is made from is gone or damaged: its stage must rerun. */
export class MissingObjectError extends Error {}

/** The bytes a stage output becomes on disk: file outputs verbatim, json pretty-printed. */
export async function materializedBytes(store: CacheDriver, ref: ObjectRef): Promise<Uint8Array | undefined> {
  const bytes = await store.readObject(ref.hash);
  if (!bytes || ref.kind !== "json") return bytes;
  return jsonFileBytes(JSON.parse(Buffer.from(bytes).toString("utf8")));
}

/** A json value as its output file holds it: two-space indents and a final newline. */
export function jsonFileBytes(value: unknown): Uint8Array {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
}

export type OutputState = { state: "same" } | { state: "missing" } | { state: "differs"; onDisk: Uint8Array };

/** Compares an output file on disk with what the cache says it should hold. */
export function compareOutput(binding: OutputBinding, expected: Uint8Array, hasher: FileHasher): OutputState {
  if (!existsSync(binding.path)) return { state: "missing" };
  if (hasher.hash(binding.path) === sha256(expected)) return { state: "same" };
  return { state: "differs", onDisk: readFileSync(binding.path) };
}

/**
 * Writes each declared output file whose bytes differ from the cached artifact (atomically),
 * so deleting knn_v1.parquet and rerunning restores it from the cache without recomputing.
 * Returns the paths written, relative to the project.
 */
export async function materializeOutputs(
  bindings: readonly OutputBinding[],
  outputs: Readonly<Record<string, ObjectRef>>,
  store: CacheDriver,
  hasher: FileHasher,
  projectDir: string,
): Promise<string[]> {
  const written: string[] = [];
  for (const binding of bindings) {
    const ref = outputs[binding.slot];
    if (!ref) continue;
    const bytes = await materializedBytes(store, ref);
    if (!bytes) throw new MissingObjectError(`cache object for output ${binding.slot} is missing or damaged`);
    try {
      if (compareOutput(binding, bytes, hasher).state === "same") continue;
      writeFileAtomic(binding.path, bytes);
    } catch (error) {
      if (error instanceof PipelineError) throw error; // a full disk says so itself
      throw new PipelineError(`cannot write ${binding.display} (outputs.${binding.slot}): ${(error as Error).message}`, {
        code: "E_OUTPUT",
        exitCode: EXIT.stageFailed,
        hint: "make sure its folder is writable and the path is not a directory, or change the path in pipeline.yaml",
      });
    }
    hasher.hash(binding.path);
    written.push(relative(projectDir, binding.path));
  }
  return written;
}
