/**
 * Reading an input file so that what was read is what the cache key names. The engine hashes
 * input files before a stage starts (the key); a file swapped or rewritten after that must not
 * be cached under the old hash, so readers hash the bytes they actually read and compare, as
 * Bazel re-checks input digests after an action.
 */
import { createHash } from "node:crypto";
import { openAsBlob } from "node:fs";
import { open } from "node:fs/promises";
import type { FileRef } from "../core/artifact.ts";
import { InputError, describeError } from "../core/errors.ts";
import { readHashing } from "../cache/read-hashing.ts";
import { hashFile } from "../cache/file-hash.ts";

/** Bytes per read while hashing: large enough to keep the pool busy, small beside the file. */
const CHUNK = 8 << 20;

/** Inputs whose bytes were proven equal to their key's hash while this worker read them. */
const proven = new WeakSet<FileRef>();

export class InputChangedError extends InputError {
  constructor(file: FileRef, found: string) {
    super(
      `${file.display}: input changed while it was read (the run's key names sha ${file.hash!.slice(0, 12)}, the bytes read hash to ${found.slice(0, 12)}); nothing was stored, run again`,
      "run again once nothing is writing the file; the stage will read it afresh",
      "E_INPUT_CHANGED",
    );
  }
}

/** The file's bytes, proven to hash to `file.hash` when it is set; InputError when it cannot be read. */
export async function readInputFile(file: FileRef): Promise<Uint8Array> {
  let read: Awaited<ReturnType<typeof readHashing>>;
  try {
    read = await readHashing(file.path, CHUNK);
  } catch (error) {
    throw missingFileError(file, error);
  }
  if (file.hash !== undefined) {
    if (read.digest !== file.hash) throw new InputChangedError(file, read.digest);
    proven.add(file);
  }
  return read.data;
}

/**
 * The file as a Blob backed by the file itself (no copy in memory), proven to hash to
 * `file.hash`: for readers that take byte ranges, such as parquet's footer and column chunks.
 * Node fails any read of the Blob once the file is modified after it was opened, and the hash
 * is taken after opening, so the bytes read are the bytes the key names (see `blobReadError`).
 */
export async function openInputBlob(file: FileRef): Promise<Blob> {
  let blob: Blob;
  let digest: string;
  try {
    // openAsBlob throws (synchronously) without an errno: opening the file then throws the real ENOENT or EACCES
    blob = await Promise.resolve(file.path)
      .then(openAsBlob)
      .catch(async (error: unknown) => {
        await (await open(file.path, "r")).close();
        throw error;
      });
    digest = await hashStreaming(file.path);
  } catch (error) {
    throw missingFileError(file, error);
  }
  if (file.hash !== undefined) {
    if (digest !== file.hash) throw new InputChangedError(file, digest);
    proven.add(file);
  }
  return blob;
}

/** Whether `error` is Node refusing to read a file-backed Blob whose file changed since it was opened. */
export function isBlobChangedError(error: unknown): boolean {
  return (error as Error | undefined)?.name === "NotReadableError";
}

/** The InputError for a Blob of `file` that can no longer be read. */
export function blobChangedError(file: FileRef): InputError {
  return new InputError(
    `${file.display}: input changed while it was read (the file was modified after the stage opened it); nothing was stored, run again`,
    "run again once nothing is writing the file; the stage will read it afresh",
    "E_INPUT_CHANGED",
  );
}

async function hashStreaming(path: string): Promise<string> {
  const hash = createHash("sha256");
  const handle = await open(path, "r");
  try {
    const chunk = new Uint8Array(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(chunk.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

/**
 * After a stage ran: an input it did not read through readInputFile (a plugin's own fs call,
 * or one it did not need) is hashed again, so a file changed during the stage is still caught.
 */
export function assertInputUnchanged(file: FileRef): void {
  if (file.hash === undefined || proven.has(file)) return;
  let now: string;
  try {
    now = hashFile(file.path);
  } catch (error) {
    throw missingFileError(file, error);
  }
  if (now !== file.hash) throw new InputChangedError(file, now);
}

/** The InputError for an input file that cannot be opened. */
export function missingFileError(file: FileRef, error: unknown): InputError {
  const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
  return new InputError(
    missing ? `${file.display}: file not found` : `${file.display}: cannot read it (${describeError(error)})`,
    "check the path in pipeline.yaml, or create the demo inputs with `pipeline demo-data`",
  );
}
